#include "server/datapath/device_errors.h"

namespace ndmp::server {

msg::Error ndmp_error_of(dev::Category c) {
  using dev::Category;
  using E = msg::Error;
  struct Row {
    Category category;
    E error;
  };
  static constexpr Row kTable[] = {
      {Category::ok, E::no_err},
      {Category::no_medium, E::no_tape_loaded},
      {Category::not_ready, E::no_tape_loaded},
      {Category::write_protected, E::write_protect},
      {Category::blank_check, E::eom},
      {Category::filemark, E::eof},
      {Category::eom, E::eom},
      {Category::early_warning, E::no_err},  // the data was written (SSC-4 4.2.5)
      {Category::medium_error, E::io},
      {Category::hardware_error, E::io},
      {Category::illegal_request, E::illegal_args},
      {Category::unit_attention, E::io},
      {Category::timeout, E::timeout},
      {Category::busy, E::device_busy},
      {Category::transport, E::io},
      {Category::io, E::io},
      {Category::no_device, E::no_device},
  };
  for (const auto& r : kTable)
    if (r.category == c) return r.error;
  return E::undefined;
}

}  // namespace ndmp::server
