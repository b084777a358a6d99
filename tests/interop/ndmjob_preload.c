/* Preloaded into Debian's ndmjob (../shared/ndmjob/NOTES.md section 3):
 * glib's g_malloc(0) returns NULL, which ndmjob takes for a failed message
 * translation, so a zero-length TAPE_WRITE is never sent and test-tape can
 * never pass. Returning a real (1-byte) allocation for size 0 fixes it. */
#include <stdlib.h>
#include <string.h>

void* g_malloc(size_t n) {
  void* p = malloc(n ? n : 1);
  if (!p) abort(); /* g_malloc's own contract: never returns NULL on failure */
  return p;
}

void* g_malloc0(size_t n) {
  void* p = calloc(1, n ? n : 1);
  if (!p) abort();
  return p;
}

/* Debian's libndmjob builds test-tape's record pattern from a local struct
 * { u_short fileno; u_short sequence; u_long recno; } whose 4 padding bytes
 * are never set, so the bytes written in T-WRITE and the bytes expected in
 * T-READ differ by whatever the stack held: T-READ fails whatever the server
 * returns. The library calls this exported function through its PLT, so the
 * preload can supply the same pattern with the padding zeroed. */
void ndmca_test_fill_data(char* buf, int bufsize, int recno, int fileno) {
  struct {
    unsigned short fileno;
    unsigned short sequence;
    unsigned long recno;
  } x;
  unsigned short sequence = 0;
  char* dst = buf;
  char* dstend = buf + bufsize;
  memset(&x, 0, sizeof x);
  x.fileno = (unsigned short)fileno;
  x.recno = (unsigned long)recno;
  while (dst < dstend) {
    const char* src = (const char*)&x;
    const char* srcend = src + sizeof x;
    x.sequence = sequence++;
    while (src < srcend && dst < dstend) *dst++ = *src++;
  }
}
