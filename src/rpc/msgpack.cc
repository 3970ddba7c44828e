// MessagePack writing and bounds-checked reading for fixed shapes (msgpack.h).
#include "rpc/msgpack.h"

#include <limits>

namespace nokv::rpc {

void MsgWriter::Head(uint8_t type, uint64_t value, int bytes) {
  char buf[9];
  buf[0] = static_cast<char>(type);
  for (int i = 0; i < bytes; ++i) buf[1 + i] = static_cast<char>(value >> (8 * (bytes - 1 - i)));
  out_->append(buf, 1 + bytes);
}

void MsgWriter::Map(uint32_t n) {
  if (n < 16) {
    out_->push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xffff) {
    Head(0xde, n, 2);
  } else {
    Head(0xdf, n, 4);
  }
}

void MsgWriter::Array(uint32_t n) {
  if (n < 16) {
    out_->push_back(static_cast<char>(0x90 | n));
  } else if (n <= 0xffff) {
    Head(0xdc, n, 2);
  } else {
    Head(0xdd, n, 4);
  }
}

void MsgWriter::Str(std::string_view s) {
  if (s.size() < 32) {
    out_->push_back(static_cast<char>(0xa0 | s.size()));
  } else if (s.size() <= 0xff) {
    Head(0xd9, s.size(), 1);
  } else if (s.size() <= 0xffff) {
    Head(0xda, s.size(), 2);
  } else {
    Head(0xdb, s.size(), 4);
  }
  out_->append(s);
}

void MsgWriter::Bin(std::string_view b) {
  if (b.size() <= 0xff) {
    Head(0xc4, b.size(), 1);
  } else if (b.size() <= 0xffff) {
    Head(0xc5, b.size(), 2);
  } else {
    Head(0xc6, b.size(), 4);
  }
  out_->append(b);
}

void MsgWriter::Uint(uint64_t v) {
  if (v < 128) {
    out_->push_back(static_cast<char>(v));
  } else if (v <= 0xff) {
    Head(0xcc, v, 1);
  } else if (v <= 0xffff) {
    Head(0xcd, v, 2);
  } else if (v <= 0xffffffff) {
    Head(0xce, v, 4);
  } else {
    Head(0xcf, v, 8);
  }
}

void MsgWriter::Int(int64_t v) {
  if (v >= 0) return Uint(static_cast<uint64_t>(v));
  auto bits = static_cast<uint64_t>(v);
  if (v >= -32) {
    out_->push_back(static_cast<char>(bits));
  } else if (v >= std::numeric_limits<int8_t>::min()) {
    Head(0xd0, bits & 0xff, 1);
  } else if (v >= std::numeric_limits<int16_t>::min()) {
    Head(0xd1, bits & 0xffff, 2);
  } else if (v >= std::numeric_limits<int32_t>::min()) {
    Head(0xd2, bits & 0xffffffff, 4);
  } else {
    Head(0xd3, bits, 8);
  }
}

void MsgWriter::Bool(bool v) { out_->push_back(static_cast<char>(v ? 0xc3 : 0xc2)); }

void MsgWriter::Nil() { out_->push_back(static_cast<char>(0xc0)); }

bool MsgReader::Fixed(int bytes, uint64_t* v) {
  if (in_.size() - pos_ < static_cast<size_t>(bytes)) return Fail();
  uint64_t x = 0;
  for (int i = 0; i < bytes; ++i) x = (x << 8) | static_cast<uint8_t>(in_[pos_ + i]);
  pos_ += bytes;
  *v = x;
  return true;
}

bool MsgReader::Take(uint64_t n, std::string_view* out) {
  if (n > in_.size() - pos_) return Fail();
  if (out != nullptr) *out = in_.substr(pos_, n);
  pos_ += n;
  return true;
}

bool MsgReader::Length(uint8_t b, uint64_t* n) {
  switch (b) {
    case 0xc4:
    case 0xc7:
    case 0xd9:
      return Fixed(1, n);
    case 0xc5:
    case 0xc8:
    case 0xda:
    case 0xdc:
    case 0xde:
      return Fixed(2, n);
    case 0xc6:
    case 0xc9:
    case 0xdb:
    case 0xdd:
    case 0xdf:
      return Fixed(4, n);
    default:
      return Fail();
  }
}

bool MsgReader::Map(uint32_t* n) {
  if (!ok_ || pos_ >= in_.size()) return Fail();
  auto b = static_cast<uint8_t>(in_[pos_]);
  uint64_t count = 0;
  if ((b & 0xf0) == 0x80) {
    ++pos_;
    count = b & 0x0f;
  } else if (b == 0xde || b == 0xdf) {
    ++pos_;
    if (!Length(b, &count)) return false;
  } else {
    return Fail();
  }
  // Every entry takes at least two bytes: a larger count is a lie.
  if (count > (in_.size() - pos_) / 2) return Fail();
  *n = static_cast<uint32_t>(count);
  return true;
}

bool MsgReader::Array(uint32_t* n) {
  if (!ok_ || pos_ >= in_.size()) return Fail();
  auto b = static_cast<uint8_t>(in_[pos_]);
  uint64_t count = 0;
  if ((b & 0xf0) == 0x90) {
    ++pos_;
    count = b & 0x0f;
  } else if (b == 0xdc || b == 0xdd) {
    ++pos_;
    if (!Length(b, &count)) return false;
  } else {
    return Fail();
  }
  if (count > in_.size() - pos_) return Fail();
  *n = static_cast<uint32_t>(count);
  return true;
}

bool MsgReader::Str(std::string_view* s) {
  if (!ok_ || pos_ >= in_.size()) return Fail();
  auto b = static_cast<uint8_t>(in_[pos_]);
  uint64_t n = 0;
  if ((b & 0xe0) == 0xa0) {
    ++pos_;
    n = b & 0x1f;
  } else if (b >= 0xd9 && b <= 0xdb) {
    ++pos_;
    if (!Length(b, &n)) return false;
  } else {
    return Fail();
  }
  return Take(n, s);
}

bool MsgReader::Bin(std::string_view* bytes) {
  if (!ok_ || pos_ >= in_.size()) return Fail();
  auto b = static_cast<uint8_t>(in_[pos_]);
  if (b < 0xc4 || b > 0xc6) return Fail();
  ++pos_;
  uint64_t n = 0;
  return Length(b, &n) && Take(n, bytes);
}

bool MsgReader::Int(int64_t* v) {
  if (!ok_ || pos_ >= in_.size()) return Fail();
  auto b = static_cast<uint8_t>(in_[pos_]);
  if (b <= 0x7f) {
    ++pos_;
    *v = b;
    return true;
  }
  if (b >= 0xe0) {
    ++pos_;
    *v = static_cast<int8_t>(b);
    return true;
  }
  uint64_t x = 0;
  if (b >= 0xcc && b <= 0xcf) {
    ++pos_;
    if (!Fixed(1 << (b - 0xcc), &x)) return false;
    if (x > uint64_t(std::numeric_limits<int64_t>::max())) return Fail();
    *v = static_cast<int64_t>(x);
    return true;
  }
  if (b >= 0xd0 && b <= 0xd3) {
    int bytes = 1 << (b - 0xd0);
    ++pos_;
    if (!Fixed(bytes, &x)) return false;
    int shift = 64 - 8 * bytes;  // sign-extend from `bytes` bytes
    *v = shift == 0 ? static_cast<int64_t>(x) : static_cast<int64_t>(x << shift) >> shift;
    return true;
  }
  return Fail();
}

bool MsgReader::Uint(uint64_t* v) {
  if (!ok_ || pos_ >= in_.size()) return Fail();
  auto b = static_cast<uint8_t>(in_[pos_]);
  if (b >= 0xcc && b <= 0xcf) {
    ++pos_;
    return Fixed(1 << (b - 0xcc), v);
  }
  int64_t x = 0;
  if (!Int(&x)) return false;
  if (x < 0) return Fail();
  *v = static_cast<uint64_t>(x);
  return true;
}

bool MsgReader::Bool(bool* v) {
  if (!ok_ || pos_ >= in_.size()) return Fail();
  auto b = static_cast<uint8_t>(in_[pos_]);
  if (b != 0xc2 && b != 0xc3) return Fail();
  ++pos_;
  *v = b == 0xc3;
  return true;
}

bool MsgReader::TryNil() {
  if (!ok_ || pos_ >= in_.size() || static_cast<uint8_t>(in_[pos_]) != 0xc0) return false;
  ++pos_;
  return true;
}

bool MsgReader::Skip(std::string_view* raw) {
  size_t start = pos_;
  uint64_t owed = 1;  // values still to skip; containers add their children
  while (owed > 0) {
    if (!ok_ || pos_ >= in_.size()) return Fail();
    --owed;
    auto b = static_cast<uint8_t>(in_[pos_++]);
    uint64_t n = 0;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) continue;
    if (b <= 0x8f) {
      owed += 2 * uint64_t{b & 0x0fu};
    } else if (b <= 0x9f) {
      owed += b & 0x0fu;
    } else if (b <= 0xbf) {
      if (!Take(b & 0x1fu, nullptr)) return false;
    } else if (b == 0xc4 || b == 0xc5 || b == 0xc6 || (b >= 0xd9 && b <= 0xdb)) {
      if (!Length(b, &n) || !Take(n, nullptr)) return false;
    } else if (b >= 0xc7 && b <= 0xc9) {  // ext 8/16/32: length, type, data
      if (!Length(b, &n) || !Take(n + 1, nullptr)) return false;
    } else if (b == 0xdc || b == 0xdd) {
      if (!Length(b, &n)) return false;
      owed += n;
    } else if (b == 0xde || b == 0xdf) {
      if (!Length(b, &n)) return false;
      owed += 2 * n;
    } else if (b >= 0xca && b <= 0xd3) {  // float 32/64, uint 8..64, int 8..64
      static constexpr uint8_t kWidth[] = {4, 8, 1, 2, 4, 8, 1, 2, 4, 8};
      if (!Take(kWidth[b - 0xca], nullptr)) return false;
    } else if (b >= 0xd4 && b <= 0xd8) {  // fixext 1..16: type, data
      if (!Take(1 + (1u << (b - 0xd4)), nullptr)) return false;
    } else {
      return Fail();  // 0xc1, never used
    }
    // Every owed value takes at least one byte.
    if (owed > in_.size() - pos_) return Fail();
  }
  if (raw != nullptr) *raw = in_.substr(start, pos_ - start);
  return true;
}

}  // namespace nokv::rpc
