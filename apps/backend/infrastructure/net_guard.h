/* net_guard.h — where the server may connect for a URL a client gave (render webhooks, remote sources): not
 * to its own host or network. Checked on the address each connection actually uses (after DNS, so a name that
 * resolves to 127.0.0.1 or is rebound later is caught), at every connection a transfer makes. */
#ifndef CLIPFORGE_NET_GUARD_H
#define CLIPFORGE_NET_GUARD_H

#include <curl/curl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

/* False for loopback, unspecified, link-local (169.254/16 with the cloud metadata endpoints,
 * fe80::/10), private (10/8, 172.16/12, 192.168/16, fc00::/7), shared (100.64/10), multicast,
 * broadcast, 0/8, 192.0.0/24, benchmarking (198.18/15), reserved (240/4), the documentation
 * ranges, and IPv4-mapped/compatible IPv6 forms of those. */
bool cf_addr_public(const struct sockaddr *sa);
/* What a guarded transfer refused, and the one exception it may make. */
typedef struct cf_net_guard {
    /* an address (as inet_ntop writes it) let through although not public, "" = none: the
     * address an operator pinned the transfer's host to (source_fetch.h) */
    char trusted[INET6_ADDRSTRLEN];
    bool refused;                   /* set when a connection was refused */
    char address[INET6_ADDRSTRLEN]; /* the address refused */
} cf_net_guard;

/* Makes every connection of h refuse non-public addresses (unless allow_private), noting it in
 * *g (which must outlive the transfer), and turns redirects off (a redirect is an answer, not
 * followed). */
void cf_curl_guard(CURL *h, bool allow_private, cf_net_guard *g);

#endif
