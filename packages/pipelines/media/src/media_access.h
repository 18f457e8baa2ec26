/* media_access.h — internal to libcfmedia: what FFmpeg may open on behalf of an input. A local
 * file is given to FFmpeg as a file: URL (FFmpeg takes the text of a name before a colon for a
 * protocol: "Interview: Ann.mp4" was "Protocol not found", "pipe:3.mp4" a file descriptor), with
 * only the file protocol allowed, and no demuxer that reads other files or the network: an
 * uploaded HLS playlist of 83 bytes naming a file elsewhere on the server was read as that file. */
#ifndef CFMEDIA_ACCESS_H
#define CFMEDIA_ACCESS_H

#include <libavformat/avformat.h>

/* "file:" followed by path, allocated (av_free it), or NULL when out of memory. */
char *cfmedia_file_url(const char *path);
/* Sets the options of an input's opening: protocols (a comma-separated list: "file", or
 * "subfile,file" for a part of a file) and every demuxer but those that open other files or
 * the network (playlists, session descriptions, scripts). */
int cfmedia_access_options(AVDictionary **opts, const char *protocols);
/* What the file at path is when a refused demuxer would read it ("an HLS playlist"), else NULL:
 * for the words of an opening that failed. */
const char *cfmedia_refused_format(const char *path);

#endif
