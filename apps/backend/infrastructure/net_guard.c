/* net_guard.c — the address policy for client-given URLs, applied in libcurl's open-socket
 * callback: the check sees the address the connection is about to use, so DNS answers cannot
 * slip a private address past it. */
#include "infrastructure/net_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clipforge/log.h"

typedef struct range4 {
    uint32_t net, mask;
} range4;

#define R4(a, b, c, d, bits)                                                                                 \
    {                                                                                                        \
        ((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d),                          \
            (bits) ? 0xffffffffu << (32 - (bits)) : 0                                                        \
    }

static const range4 blocked4[] = {
    R4(0, 0, 0, 0, 8),      R4(10, 0, 0, 0, 8),    R4(100, 64, 0, 0, 10),   R4(127, 0, 0, 0, 8),
    R4(169, 254, 0, 0, 16), R4(172, 16, 0, 0, 12), R4(192, 0, 0, 0, 24),    R4(192, 0, 2, 0, 24),
    R4(192, 168, 0, 0, 16), R4(198, 18, 0, 0, 15), R4(198, 51, 100, 0, 24), R4(203, 0, 113, 0, 24),
    R4(224, 0, 0, 0, 4),    R4(240, 0, 0, 0, 4),
};

static bool public4(uint32_t a) {
    for (size_t i = 0; i < sizeof blocked4 / sizeof blocked4[0]; i++)
        if ((a & blocked4[i].mask) == blocked4[i].net) return false;
    return true;
}

static bool public6(const struct in6_addr *a) {
    const uint8_t *b = a->s6_addr;
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t v4compat[12] = {0};
    if (!memcmp(b, v4mapped, 12) || !memcmp(b, v4compat, 12)) {
        uint32_t v4 = ((uint32_t)b[12] << 24) | ((uint32_t)b[13] << 16) | ((uint32_t)b[14] << 8) | b[15];
        return public4(v4); /* also refuses :: and ::1 (0.0.0.0/8) */
    }
    if (b[0] == 0xff) return false;                                                 /* multicast */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;                        /* link-local */
    if ((b[0] & 0xfe) == 0xfc) return false;                                        /* unique local */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false; /* documentation */
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) /* NAT64 of an IPv4 address */
        return public4(((uint32_t)b[12] << 24) | ((uint32_t)b[13] << 16) | ((uint32_t)b[14] << 8) | b[15]);
    return true;
}

bool cf_addr_public(const struct sockaddr *sa) {
    if (!sa) return false;
    if (sa->sa_family == AF_INET)
        return public4(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return public6(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
    return false;
}

static void address_text(const struct sockaddr *sa, char *text, size_t cap) {
    snprintf(text, cap, "?");
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, text, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, text,
                  (socklen_t)cap);
}

static curl_socket_t open_public(void *clientp, curlsocktype purpose, struct curl_sockaddr *address) {
    cf_net_guard *g = clientp;
    char text[INET6_ADDRSTRLEN];
    address_text(&address->addr, text, sizeof text);
    bool pinned = g->trusted[0] && !strcmp(text, g->trusted);
    if (purpose != CURLSOCKTYPE_IPCXN || !(pinned || cf_addr_public(&address->addr))) {
        cf_log_warn("net", "refused a connection to %s: not a public address (CLIPFORGE_PRIVATE_URLS)", text);
        g->refused = true;
        snprintf(g->address, sizeof g->address, "%s", text);
        return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype, address->protocol);
}

void cf_curl_guard(CURL *h, bool allow_private, cf_net_guard *g) {
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (allow_private) return;
    /* a proxy would connect for us, out of the callback's sight */
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_public);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, g);
}
