#!/usr/bin/env bash
# apt_mirror SUITE: prints the machine's first apt source for SUITE from a
# .../debian archive (one-line sources.list or deb822 .sources), nothing if
# there is none. Sourced by the debootstrap scripts of the systemd-nspawn and
# container tests, so the mirror is never written into the tree.
apt_mirror() {
  local suite=$1 f
  {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      # deb [opts] URI SUITE COMPONENTS...
      sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk -v s="$suite" '$1 == "deb" && $3 == s && $2 ~ /\/debian\/?$/ { print $2; exit }'
    done
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      # Stanzas separated by blank lines; Types: deb, URIs:, Suites: with SUITE.
      # (Comment lines are dropped, not blanked: they do not end a stanza.)
      sed -e '/^[[:space:]]*#/d' -e 's/#.*//' "$f" | awk -v s="$suite" '
        function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " s " ")) { n = split(uris, u, " ");
                             for (i = 1; i <= n; i++) if (u[i] ~ /\/debian\/?$/) { print u[i]; exit } }
                           types = uris = suites = "" }
        /^[ \t]*$/ { flush(); next }
        tolower($1) == "types:"  { $1 = ""; types = $0 }
        tolower($1) == "uris:"   { $1 = ""; uris = $0 }
        tolower($1) == "suites:" { $1 = ""; suites = $0 }
        END { flush() }'
    done
  } | head -n1
}
