// The hook an RTC/SIP client implements so an application can hand it a port
// manager (IRTCSessionPortManagement::SetPortManager). With a port manager
// set, the client asks it for every media and signalling port and puts the
// external addresses into SIP Contact and SDP; with nullptr it uses its own
// local addresses again.
#pragma once

#include "pinhole/port_manager.hpp"

namespace pinhole {

class session_port_management {
 public:
  virtual ~session_port_management() = default;
  // The client must not take ownership; the application keeps `pm` alive
  // until it sets another one (or nullptr).
  virtual void set_port_manager(port_manager* pm) = 0;

 protected:
  session_port_management() = default;
  session_port_management(const session_port_management&) = default;
  session_port_management& operator=(const session_port_management&) = default;
};

}  // namespace pinhole
