// Money is integer minor units: floating-point fields have no canonical JSON.
#include <once/domain/canonical_json.hpp>

#include <boost/hana/define_struct.hpp>

struct priced {
  BOOST_HANA_DEFINE_STRUCT(priced, (std::int64_t, cents));
};
struct floated {
  BOOST_HANA_DEFINE_STRUCT(floated, (double, euros));
};

void use() {
  (void)once::domain::canonical_json(priced{100});
#ifdef ONCE_EXPECT_COMPILE_ERROR
  (void)once::domain::canonical_json(floated{1.0});
#endif
}
