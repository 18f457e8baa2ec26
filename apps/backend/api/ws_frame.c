/* ws_frame.c — RFC 6455 frames: the client's parsed and checked, the server's headers written. A
 * client frame must be masked (section 5.1), use no reserved bits or opcodes, give its length
 * in the shortest form (5.2), and a control frame must be whole and at most 125 bytes (5.5).
 * The payload limit is checked on the header so a huge frame is refused before it is read. */
#include "api/ws_frame.h"

static bool known_opcode(int op) {
    return op == CF_WS_CONTINUATION || op == CF_WS_TEXT || op == CF_WS_BINARY || op == CF_WS_CLOSE ||
           op == CF_WS_PING || op == CF_WS_PONG;
}

/* Reads the extended payload length (2 or 8 bytes, big-endian) after the first two bytes. */
static uint64_t read_length(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = (v << 8) | p[i];
    return v;
}

long cf_ws_frame_parse(uint8_t *buf, size_t len, size_t max_payload, cf_ws_frame *out) {
    if (len < 2) return 0;
    int op = buf[0] & 0x0F;
    bool fin = (buf[0] & 0x80) != 0;
    if ((buf[0] & 0x70) || !known_opcode(op) || !(buf[1] & 0x80)) return -CF_WS_CLOSE_PROTOCOL;
    uint64_t plen = buf[1] & 0x7F;
    size_t ext = plen == 126 ? 2 : plen == 127 ? 8 : 0;
    if (op >= CF_WS_CLOSE && (!fin || ext)) return -CF_WS_CLOSE_PROTOCOL;
    if (len < 2 + ext) return 0;
    if (ext) {
        plen = read_length(buf + 2, ext);
        if ((ext == 2 && plen < 126) || (ext == 8 && (plen <= 0xFFFF || plen >> 63)))
            return -CF_WS_CLOSE_PROTOCOL;
    }
    if (plen > max_payload) return -CF_WS_CLOSE_TOO_BIG;
    size_t head = 2 + ext + 4;
    if (len < head || len - head < plen) return 0;
    const uint8_t *mask = buf + 2 + ext;
    uint8_t *payload = buf + head;
    for (size_t i = 0; i < plen; i++) payload[i] ^= mask[i & 3];
    out->opcode = op;
    out->fin = fin;
    out->payload = payload;
    out->len = (size_t)plen;
    return (long)(head + plen);
}

/* The first byte of a UTF-8 sequence: how many continuation bytes follow and the range of the
 * next one, which is what excludes overlong forms, surrogates and code points past U+10FFFF
 * (RFC 3629, section 4). False for a byte that cannot start a sequence. */
static bool utf8_start(uint8_t b, cf_ws_message *m) {
    m->lo = 0x80;
    m->hi = 0xBF;
    if (b < 0x80) m->need = 0;
    else if (b >= 0xC2 && b <= 0xDF) m->need = 1;
    else if (b >= 0xE0 && b <= 0xEF) m->need = 2;
    else if (b >= 0xF0 && b <= 0xF4) m->need = 3;
    else return false;
    if (b == 0xE0) m->lo = 0xA0;
    else if (b == 0xED) m->hi = 0x9F;
    else if (b == 0xF0) m->lo = 0x90;
    else if (b == 0xF4) m->hi = 0x8F;
    return true;
}

/* Feeds bytes to the UTF-8 check of m (a sequence may continue in the next fragment). */
static bool utf8_feed(cf_ws_message *m, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!m->need) {
            if (!utf8_start(p[i], m)) return false;
            continue;
        }
        if (p[i] < m->lo || p[i] > m->hi) return false;
        m->need--;
        m->lo = 0x80;
        m->hi = 0xBF;
    }
    return true;
}

/* A close frame's body: empty, or a status code the peer may send (7.4) and a UTF-8 reason. */
static int check_close(const cf_ws_frame *f) {
    if (f->len == 0) return 0;
    if (f->len == 1) return CF_WS_CLOSE_PROTOCOL;
    int code = (f->payload[0] << 8) | f->payload[1];
    if (!((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999)))
        return CF_WS_CLOSE_PROTOCOL;
    cf_ws_message reason = {0};
    return utf8_feed(&reason, f->payload + 2, f->len - 2) && !reason.need ? 0 : CF_WS_CLOSE_INVALID_DATA;
}

int cf_ws_message_take(cf_ws_message *m, const cf_ws_frame *f, uint64_t max_message) {
    if (f->opcode == CF_WS_CLOSE) return check_close(f);
    if (f->opcode >= CF_WS_CLOSE) return 0; /* ping, pong: may come between fragments */
    bool continuation = f->opcode == CF_WS_CONTINUATION;
    if (continuation != m->open) return CF_WS_CLOSE_PROTOCOL;
    uint64_t total = (continuation ? m->length : 0) + f->len;
    if (total > max_message) return CF_WS_CLOSE_TOO_BIG;
    if (!continuation) *m = (cf_ws_message){.text = f->opcode == CF_WS_TEXT};
    if (m->text && (!utf8_feed(m, f->payload, f->len) || (f->fin && m->need)))
        return CF_WS_CLOSE_INVALID_DATA;
    m->open = !f->fin;
    m->length = m->open ? total : 0;
    return 0;
}

size_t cf_ws_frame_header(uint8_t *hdr, int opcode, uint64_t payload_len) {
    hdr[0] = (uint8_t)(0x80 | (opcode & 0x0F));
    if (payload_len < 126) {
        hdr[1] = (uint8_t)payload_len;
        return 2;
    }
    size_t n = payload_len <= 0xFFFF ? 2 : 8;
    hdr[1] = n == 2 ? 126 : 127;
    for (size_t i = 0; i < n; i++) hdr[2 + i] = (uint8_t)(payload_len >> (8 * (n - 1 - i)));
    return 2 + n;
}
