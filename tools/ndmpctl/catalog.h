// The job catalogue: what one `ndmpctl backup` wrote and where, so `list`
// can show it and `restore` can find files and tapes without the server.
//
// One JSON file per backup (RFC 8259, read and written with nlohmann::json):
//
//   {"format": "ndmpctl-catalog v1",
//    "started": "2024-05-01T10:00:00Z", "finished": "...",
//    "data_server": "host:port", "tape_server": "host:port", "drive": "emu-drive0",
//    "filesystem": "/export/home", "butype": "tar", "level": 0,
//    "record_size": 65536, "bytes": 123456,          <- stream bytes (no padding)
//    "env": [{"name": "FILESYSTEM", "value": "..."}, ...],   <- DATA_GET_ENV, in order
//    "media": [{"label": "MON-1"|null, "slot": 3|null, "barcode": "NDM003L6"|null,
//               "window_offset": 0, "bytes": 4128768}, ...], <- in stream order
//    "files": [{"path": "/a/b", "type": "reg", "size": 10, "mtime": 1700000000,
//               "fh_info": 1536|null}, ...]}                 <- file history
//
// Window offsets are stream offsets (SPEC4 3.6.2: a window never spans tapes),
// so the tape that holds stream byte N is the entry with
// window_offset <= N < window_offset + bytes. fh_info is the data service's
// own locator (ndmpd: the tar header's stream offset), passed back unchanged
// in the restore name list; null when the server gave none (all-ones).
// Readers ignore keys they do not know, so later versions may add some.
//
// Threads: plain values; no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/ndmpctl/outcome.h"

namespace ndmp::ctl {

struct CatalogMedium {
  std::string label;                 // "" = unlabelled
  std::optional<unsigned> slot;      // mtx slot number it was loaded from
  std::string barcode;               // "" = none
  uint64_t window_offset = 0;        // first stream byte on this tape
  uint64_t bytes = 0;                // stream bytes on this tape
};

struct CatalogFile {
  std::string path;  // file-history form: relative to the backup root, leading "/"
  std::string type;  // dir, reg, slink, fifo, cspec, bspec, sock, other
  uint64_t size = 0;
  uint32_t mtime = 0;
  std::optional<uint64_t> fh_info;
};

struct Catalog {
  std::string started, finished;  // ISO 8601 UTC
  std::string data_server, tape_server, drive;
  std::string filesystem, butype = "tar";
  int level = 0;
  uint32_t record_size = 0;
  uint64_t bytes = 0;
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<CatalogMedium> media;
  std::vector<CatalogFile> files;

  // Index into media of the tape holding stream byte `offset`, if any.
  std::optional<size_t> medium_at(uint64_t offset) const;
  // The entry whose path is `path` (file-history form), if any.
  const CatalogFile* find(const std::string& path) const;
};

// Writes `c` to `path` (parent directories created; replaced atomically via
// a temporary file and rename, so a crash never leaves half a catalogue).
Outcome save_catalog(const Catalog& c, const std::string& path);
// Reads a catalogue; failure() names the file and what is wrong with it.
Result<Catalog> load_catalog(const std::string& path);
// The catalogue as one JSON document (what `list --json` prints).
std::string catalog_json(const Catalog& c, int indent = -1);

// $XDG_DATA_HOME/ndmpctl/catalog, else ~/.local/share/ndmpctl/catalog.
std::string default_catalog_dir();
// <dir>/<tag>-<YYYYmmdd-HHMMSS>.json; tag is the first tape's label, else
// "slot<N>", else "drive".
std::string default_catalog_path(const Catalog& c);
// The newest *.json in the default directory, or why there is none.
Result<std::string> newest_catalog();

// "2024-05-01T10:00:00Z" for now.
std::string iso_now();

}  // namespace ndmp::ctl
