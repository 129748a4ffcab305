// The SQL files of sql/, embedded at build time (see embed_migrations.cmake).
#pragma once

#include <span>

#include <once/postgres/migrator.hpp>

namespace once::postgres::detail {

std::span<migration const> embedded_migrations() noexcept;

}  // namespace once::postgres::detail
