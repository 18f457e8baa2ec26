/* net_guard.h — where the server may connect for a URL a client gave (render webhooks): not to
 * its own host or network. Checked on the address each connection actually uses (after DNS, so
 * a name that resolves to 127.0.0.1 or is rebound later is caught), at every connection a
 * transfer makes. */
#ifndef CLIPFORGE_NET_GUARD_H
#define CLIPFORGE_NET_GUARD_H

#include <curl/curl.h>
#include <stdbool.h>
#include <sys/socket.h>

/* False for loopback, unspecified, link-local (169.254/16 with the cloud metadata endpoints,
 * fe80::/10), private (10/8, 172.16/12, 192.168/16, fc00::/7), shared (100.64/10), multicast,
 * broadcast, 0/8, 192.0.0/24, benchmarking (198.18/15), reserved (240/4), the documentation
 * ranges, and IPv4-mapped/compatible IPv6 forms of those. */
bool cf_addr_public(const struct sockaddr *sa);
/* Makes every connection of h refuse non-public addresses (unless allow_private), setting
 * *refused when it did, and turns redirects off (a redirect is an answer, not followed). */
void cf_curl_guard(CURL *h, bool allow_private, bool *refused);

#endif
