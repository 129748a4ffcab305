# The Debian package of the framework: `cpack -G DEB` in a build tree writes
# once-dev_<version>_<arch>.deb with everything `cmake --install` installs
# (headers, static libraries, CMake package files, the tools, the migrations,
# the examples for once-new-service), under /usr. docs/packaging.md says more.
set(CPACK_PACKAGE_NAME once-dev)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "C++20 framework for services in which every business intent takes effect exactly once")
set(CPACK_PACKAGE_CONTACT "once developers <maintainers@once.invalid>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # once-dev_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION_SUMMARY}
 Typed commands carry scoped business intent ids, aggregates declare what a
 repeat means, and one PostgreSQL transaction stores state, the command log
 and the outbox. HTTP (Idempotency-Key) and Kafka (outbox relay, inbox
 consumer) adapters; once-migrate, once-admin, once-relay; once-new-service
 generates a service from the payments, inventory or claims example.")
# The shared libraries the tools load, found by dpkg-shlibdeps...
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# ...and the development packages a service needs to link the static libraries:
# what onceConfig.cmake looks for with find_dependency and pkg-config.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libboost1.81-dev, libboost-url1.81-dev, libboost-context1.81-dev, nlohmann-json3-dev (>= 3.11), libssl-dev, libpqxx-dev, libpq-dev, \
librdkafka-dev, libspdlog-dev (>= 1:1.10), libfmt-dev, libcli11-dev, prometheus-cpp-dev, libgtest-dev, libgmock-dev, \
pkg-config")
# What building a service and running its tests uses: the compiler, CMake, and
# the PostgreSQL and PgBouncer its tests start (share/once/scripts).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "cmake (>= 3.25), g++ (>= 4:12), postgresql-15, pgbouncer")
include(CPack)
