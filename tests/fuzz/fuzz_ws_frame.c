/* Fuzzes the WebSocket frame parser (apps/backend/api/ws_frame.c) over a stream of client bytes;
 * the first byte picks the payload limit. Properties: a parsed frame lies inside the bytes it
 * took, within the limit, a control frame whole and at most 125 bytes; any shorter prefix of it
 * asks for more; errors are 1002 or 1009 only; message checks answer 0, 1002, 1007 or 1009, keep an
 * open message within the limit; an unfragmented text message taken is UTF-8 by an independent
 * check; a frame written back with the server's header and a mask parses to the same frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/ws_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int ok) {
    if (!ok) abort();
}

/* An independent UTF-8 check (RFC 3629's definition, by code point) to compare with. */
static int utf8_valid(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k;
        if (p[i] < 0x80) k = 0, cp = p[i];
        else if ((p[i] & 0xE0) == 0xC0) k = 1, cp = p[i] & 0x1F;
        else if ((p[i] & 0xF0) == 0xE0) k = 2, cp = p[i] & 0x0F;
        else if ((p[i] & 0xF8) == 0xF0) k = 3, cp = p[i] & 0x07;
        else return 0;
        if (n - i - 1 < k) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += k + 1;
    }
    return 1;
}

/* The frame re-encoded as a client would send it parses back the same. */
static void check_roundtrip(const cf_ws_frame *f, size_t max) {
    uint8_t *buf = malloc(CF_WS_MAX_HEADER + f->len + 1);
    if (!buf) return;
    size_t hl = cf_ws_frame_header(buf, f->opcode, f->len);
    buf[1] |= 0x80;
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    memcpy(buf + hl, mask, 4);
    for (size_t i = 0; i < f->len; i++) buf[hl + 4 + i] = f->payload[i] ^ mask[i & 3];
    cf_ws_frame g;
    long r = cf_ws_frame_parse(buf, hl + 4 + f->len, max, &g);
    must(r == (long)(hl + 4 + f->len) && g.opcode == f->opcode && g.fin && g.len == f->len);
    must(!f->len || !memcmp(g.payload, f->payload, f->len));
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 65536) return 0;
    size_t max = (size_t)data[0] * 37; /* 0 .. 9435: small limits are reached, large are not */
    size_t len = size - 1;
    uint8_t *buf = malloc(len + 1), *copy = malloc(len + 1);
    if (!buf || !copy) goto end;
    memcpy(buf, data + 1, len);
    cf_ws_message msg = {0};
    for (size_t pos = 0; pos < len;) {
        memcpy(copy, buf + pos, len - pos);
        cf_ws_frame f;
        long r = cf_ws_frame_parse(buf + pos, len - pos, max, &f);
        if (r <= 0) {
            must(r == 0 || r == -CF_WS_CLOSE_PROTOCOL || r == -CF_WS_CLOSE_TOO_BIG);
            break;
        }
        must((size_t)r <= len - pos && f.len <= max);
        must(f.payload >= buf + pos && f.payload + f.len == buf + pos + r);
        if (f.opcode >= CF_WS_CLOSE) must(f.fin && f.len <= CF_WS_MAX_CONTROL);
        cf_ws_frame g;
        must(cf_ws_frame_parse(copy, (size_t)r - 1, max, &g) == 0);
        int code = cf_ws_message_take(&msg, &f, max);
        must(code == 0 || code == CF_WS_CLOSE_PROTOCOL || code == CF_WS_CLOSE_TOO_BIG ||
             code == CF_WS_CLOSE_INVALID_DATA);
        if (code == 0 && f.opcode == CF_WS_TEXT && f.fin) must(utf8_valid(f.payload, f.len));
        if (code) break;
        must(!msg.open || msg.length <= max);
        check_roundtrip(&f, max);
        pos += (size_t)r;
    }
end:
    free(buf);
    free(copy);
    return 0;
}
