// CWMPD_ENTRY_POINT(function, name): exports `name`, the entry point the host looks up with
// boost::dll::shared_library::get_alias ("cwmpd_plugin_create", ...). The symbol is what
// Boost.DLL's BOOST_DLL_ALIAS makes (a default-visible, weak `const void*` named `name` in
// the section "boostdll", holding the function's address), so plugins built with either
// macro load alike. Written out here because <boost/dll/alias.hpp> brings Boost.System's
// error categories along, which every plugin then carried (about 8 KB each, stripped).
// A plugin that uses BOOST_DLL_ALIAS itself includes <boost/dll/alias.hpp> itself.
#pragma once

// The address is cast straight to `const void*` (conditionally supported for a function,
// and supported by every compiler that builds plugins), not through an integer as Boost
// does: clang-tidy's performance-no-int-to-ptr flags that in every plugin.
#define CWMPD_ENTRY_POINT(FunctionOrVar, AliasName)                        \
  namespace _autoaliases {                                                 \
  extern "C" __attribute__((visibility("default"))) const void* AliasName; \
  __attribute__((section("boostdll"), weak)) const void* AliasName =       \
      reinterpret_cast<const void*>(&FunctionOrVar);                       \
  }
