// The object behind pinhole.h's opaque pinhole_options: a pinhole::options
// plus the C callbacks and their user pointers.
#pragma once

#include "pinhole/options.hpp"
#include "pinhole/pinhole.h"

struct pinhole_options {
  pinhole::options o;
  bool servers_given = false;  // the first add_server replaces the default list
  pinhole_event_cb event_cb = nullptr;
  void* event_user = nullptr;
  pinhole_datagram_cb datagram_cb = nullptr;
  void* datagram_user = nullptr;
};

namespace pinhole::c_api {

// The C++ options with on_event / on_datagram calling the C callbacks.
options to_cxx(const pinhole_options& c);

}  // namespace pinhole::c_api
