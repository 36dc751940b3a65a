#!/usr/bin/env python3
"""A hostile UPnP Internet Gateway Device for netns.upnp_hostile: answers
SSDP M-SEARCH on the LAN and serves a device description and SOAP answers
(WANIPConnection:1) that are wrong in one way per --mode, so the test can
check that libpinhole (through libminiupnpc) never hands out a mapping from
them and never crashes. Every SOAP action it gets is logged ("soap ACTION"),
so the test sees what the client asked (e.g. no DeletePortMapping of
another host's mapping).

Modes:
  bad-ip        NewExternalIPAddress "999.1.1.1"
  zero-ip       NewExternalIPAddress "0.0.0.0" (an IGD without WAN address)
  huge          NewExternalIPAddress of 64 KiB, and a 64 KiB description field
  garbage       SOAP answers that are not XML
  other-client  GetSpecificPortMappingEntry names another internal host
  disabled      GetSpecificPortMappingEntry says NewEnabled 0
  liar          a well-formed IGD that claims 203.0.113.77 (not the NAT's address)
"""
import argparse
import http.server
import socket
import struct
import sys
import threading

ENV = ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
       's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>{}</s:Body></s:Envelope>')
ST = "urn:schemas-upnp-org:service:WANIPConnection:1"


def desc(host, port, huge):
    extra = "<modelDescription>" + "A" * 65536 + "</modelDescription>" if huge else ""
    return f"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion>
<URLBase>http://{host}:{port}</URLBase>
<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>{extra}
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType>
<serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId><controlURL>/ctl/CmnIfCfg</controlURL>
<eventSubURL>/evt/CmnIfCfg</eventSubURL><SCPDURL>/WANCfg.xml</SCPDURL></service></serviceList>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
<serviceList><service><serviceType>{ST}</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
<controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL><SCPDURL>/WANIPCn.xml</SCPDURL>
</service></serviceList></device></deviceList></device></deviceList></device></root>"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)  # the LAN address
    ap.add_argument("--http-port", type=int, default=5000)
    ap.add_argument("--mode", required=True)
    a = ap.parse_args()
    mode = a.mode
    table = {}  # external port -> (internal client, internal port)

    def say(line):
        print(line, flush=True)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args):
            pass

        def send(self, body, ctype="text/xml"):
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.send(desc(a.listen, a.http_port, mode == "huge"))

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode(errors="replace")
            action = self.headers.get("SOAPAction", "").strip('"').split("#")[-1]
            say(f"soap {action}")

            def arg(name):
                i = body.find(f"<{name}>")
                j = body.find(f"</{name}>")
                return body[i + len(name) + 2:j] if i >= 0 and j > i else ""

            if mode == "garbage" and action != "GetStatusInfo":
                return self.send("\x00\xff<<<not xml" * 50)
            r = f'<u:{action}Response xmlns:u="{ST}">{{}}</u:{action}Response>'
            if action == "GetStatusInfo":
                return self.send(ENV.format(r.format(
                    "<NewConnectionStatus>Connected</NewConnectionStatus>"
                    "<NewLastConnectionError>ERROR_NONE</NewLastConnectionError><NewUptime>10</NewUptime>")))
            if action == "GetExternalIPAddress":
                ip = {"bad-ip": "999.1.1.1", "zero-ip": "0.0.0.0", "huge": "1" * 65536,
                      "liar": "203.0.113.77"}.get(mode, "203.0.113.77")
                return self.send(ENV.format(r.format(f"<NewExternalIPAddress>{ip}</NewExternalIPAddress>")))
            if action == "AddPortMapping":
                table[arg("NewExternalPort")] = (arg("NewInternalClient"), arg("NewInternalPort"))
                say(f"added {arg('NewExternalPort')} -> {arg('NewInternalClient')}:{arg('NewInternalPort')}")
                return self.send(ENV.format(r.format("")))
            if action == "GetSpecificPortMappingEntry":
                client, port = table.get(arg("NewExternalPort"), ("", ""))
                if mode == "other-client":
                    client = "198.18.0.99"
                enabled = "0" if mode == "disabled" else "1"
                return self.send(ENV.format(r.format(
                    f"<NewInternalPort>{port}</NewInternalPort><NewInternalClient>{client}</NewInternalClient>"
                    f"<NewEnabled>{enabled}</NewEnabled><NewPortMappingDescription>x</NewPortMappingDescription>"
                    "<NewLeaseDuration>3600</NewLeaseDuration>")))
            if action == "DeletePortMapping":
                say(f"deleted {arg('NewExternalPort')}")
                table.pop(arg("NewExternalPort"), None)
                return self.send(ENV.format(r.format("")))
            self.send_response(500)
            self.end_headers()

    httpd = http.server.ThreadingHTTPServer((a.listen, a.http_port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    ssdp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ssdp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ssdp.bind(("", 1900))
    ssdp.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                    struct.pack("4s4s", socket.inet_aton("239.255.255.250"), socket.inet_aton(a.listen)))
    say("listening")
    while True:
        data, src = ssdp.recvfrom(2048)
        if not data.startswith(b"M-SEARCH"):
            continue
        say(f"m-search from {src[0]}")
        answer = ("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\n"
                  "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
                  "USN: uuid:00000000-0000-0000-0000-000000000001::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
                  f"EXT:\r\nSERVER: hostile/1\r\nLOCATION: http://{a.listen}:{a.http_port}/rootDesc.xml\r\n\r\n")
        ssdp.sendto(answer.encode(), src)


if __name__ == "__main__":
    sys.exit(main())
