#include "tools/ndmpctl/job_setup.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "tools/ndmpctl/password.h"

namespace ndmp::ctl {

void add_job_options(SubArgs& a) {
  a.options.add_options()("drive,d", po::value<std::string>()->required(),
                          "drive of the tape server: number (mtx order) or device name")(
      "data-server", po::value<std::string>(), "HOST[:PORT] whose DATA service reads/writes the files (three-way)")(
      "tape-server", po::value<std::string>(), "HOST[:PORT] whose MOVER, drive and changer hold the tapes (three-way)")(
      "progress", po::value<std::string>()->default_value("auto"),
      "auto (a live bar on a terminal, a line every 10 s otherwise), bar, lines or none");
}

Result<JobSetup> set_up_job(Context& ctx, const SubArgs& a) {
  JobSetup s;
  const auto progress = a.get<std::string>("progress");
  if (progress == "auto") s.style = auto_progress_style(ctx.out);
  else if (progress == "bar") s.style = ProgressStyle::bar;
  else if (progress == "lines") s.style = ProgressStyle::lines;
  else if (progress == "none") s.style = ProgressStyle::none;
  else return Outcome::usage(fmt::format("--progress is auto, bar, lines or none, not \"{}\"", progress));

  if (!ctx.server) return Outcome::usage("this command needs --server, or --data-server and --tape-server");
  ServerOptions base = *ctx.server;
  const std::string ds = a.has("data-server") ? a.get<std::string>("data-server") : "";
  const std::string ts = a.has("tape-server") ? a.get<std::string>("tape-server") : "";
  if (auto o = job_servers(base, ds, ts, s.data_server, s.tape_server); !o.ok()) return o;
  if (base.auth != AuthMethod::none && base.password.empty()) {
    // No --server: the same user and password serve both job servers.
    auto pw = obtain_password(ctx.password_file, base.user, s.data_server.host);
    if (!pw.ok()) return pw.outcome();
    s.data_server.password = s.tape_server.password = pw.value();
  }
  s.tape_target = make_server_target(s.tape_server, ctx.changer, ctx.drives);

  const auto ref = a.get<std::string>("drive");
  const bool numeric = !ref.empty() && std::all_of(ref.begin(), ref.end(), [](char c) { return c >= '0' && c <= '9'; });
  auto name = s.tape_target->resolve_drive(ref);
  if (!name.ok()) return name.outcome();
  s.drive_name = name.value();
  if (numeric) {
    unsigned i = 0;
    std::from_chars(ref.data(), ref.data() + ref.size(), i);
    s.drive_index = i;
  } else if (auto names = s.tape_target->drive_names(); names.ok()) {
    auto it = std::find(names->begin(), names->end(), ref);
    if (it != names->end()) s.drive_index = static_cast<unsigned>(it - names->begin());
  }
  auto link = connect_job(s.data_server, s.tape_server);
  if (!link.ok()) return link.outcome();
  s.link = std::move(link.value());
  return s;
}

}  // namespace ndmp::ctl
