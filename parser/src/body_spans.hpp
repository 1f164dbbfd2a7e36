// Leaf bodies as views into the raw message rather than mimetic's copies of them. mimetic's
// parser is handed raw_iterator; its onBlock, specialised for that iterator below, records where
// each body lies instead of appending the bytes to the entity. Included by mime_reader.cpp only.
#pragma once

#include <mimetic/mimetic.h>

#include <algorithm>
#include <compare>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tacmail::parser::detail {

// Where mimetic's parser found each leaf body: views into the raw message.
class body_spans {
 public:
  // Called for each block mimetic would append to `entity`'s body. A body that is one run of
  // raw bytes (every well-formed part) is kept as a view; anything else is copied as mimetic
  // would have (a header line it took for the first body line is already in body()).
  void record(mimetic::MimeEntity& entity, const char* begin, std::size_t size) {
    std::string& copied = entity.body();
    auto it = std::find_if(spans_.rbegin(), spans_.rend(),
                           [&](const auto& s) { return s.first == &entity; });
    if (it == spans_.rend() && copied.empty()) {
      spans_.emplace_back(&entity, std::string_view(begin, size));
      return;
    }
    if (it != spans_.rend() && it->second.data() + it->second.size() == begin) {
      it->second = std::string_view(it->second.data(), it->second.size() + size);
      return;
    }
    if (it != spans_.rend()) {
      copied.append(it->second);
      spans_.erase(std::next(it).base());
    }
    copied.append(begin, size);
  }

  // The body of `entity` as mimetic would have held it.
  std::string_view body(const mimetic::MimeEntity& entity) const {
    for (auto it = spans_.rbegin(); it != spans_.rend(); ++it) {
      if (it->first == &entity) return it->second;
    }
    return entity.body();
  }

 private:
  std::vector<std::pair<const mimetic::MimeEntity*, std::string_view>> spans_;
};

// A position in the raw message for mimetic's parser: a pointer that also carries the
// body_spans its parser records into (mimetic hands the parser nothing else to reach).
class raw_iterator {
 public:
  using iterator_category = std::random_access_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  raw_iterator() = default;
  raw_iterator(const char* p, body_spans* spans) : p_(p), spans_(spans) {}

  const char* get() const { return p_; }
  body_spans& spans() const { return *spans_; }

  reference operator*() const { return *p_; }
  reference operator[](difference_type n) const { return p_[n]; }
  raw_iterator& operator++() {
    ++p_;
    return *this;
  }
  raw_iterator operator++(int) {
    raw_iterator old = *this;
    ++p_;
    return old;
  }
  raw_iterator& operator--() {
    --p_;
    return *this;
  }
  raw_iterator operator--(int) {
    raw_iterator old = *this;
    --p_;
    return old;
  }
  raw_iterator& operator+=(difference_type n) {
    p_ += n;
    return *this;
  }
  raw_iterator& operator-=(difference_type n) {
    p_ -= n;
    return *this;
  }
  friend raw_iterator operator+(raw_iterator it, difference_type n) { return it += n; }
  friend raw_iterator operator+(difference_type n, raw_iterator it) { return it += n; }
  friend raw_iterator operator-(raw_iterator it, difference_type n) { return it -= n; }
  friend difference_type operator-(raw_iterator a, raw_iterator b) { return a.p_ - b.p_; }
  friend bool operator==(raw_iterator a, raw_iterator b) { return a.p_ == b.p_; }
  friend std::strong_ordering operator<=>(raw_iterator a, raw_iterator b) { return a.p_ <=> b.p_; }

 private:
  const char* p_ = nullptr;
  body_spans* spans_ = nullptr;
};

}  // namespace tacmail::parser::detail

namespace mimetic {

// mimetic's random-access parser, unchanged but for where a block of body bytes goes: its
// onBlock appends them to the entity's body string (a copy of every body, 30 MB for a 30 MB
// attachment); for raw_iterator it records their place instead. Preamble and epilogue are not
// read (the parse masks them), so only the body case differs.
template <>
inline void
IteratorParser<tacmail::parser::detail::raw_iterator, std::random_access_iterator_tag>::onBlock(
    tacmail::parser::detail::raw_iterator bit, int size, ParsingElem pe) {
  if (pe == peIgnore || size <= 0) return;
  MimeEntity* entity = m_entityStack.top();
  switch (pe) {
    case pePreamble:
      entity->body().preamble().append(bit.get(), static_cast<std::size_t>(size));
      break;
    case peEpilogue:
      entity->body().epilogue().append(bit.get(), static_cast<std::size_t>(size));
      break;
    case peBody:
      bit.spans().record(*entity, bit.get(), static_cast<std::size_t>(size));
      break;
  }
}

namespace utils {

// mimetic's boundary search for raw_iterator: the same answer from the library's substring
// search instead of a shift table built on every call. mimetic compares each text byte, as
// unsigned char, with the word's byte as a (signed) char, so a word with a byte over 0x7F never
// matches; for any other word its search answers the first occurrence.
template <>
inline tacmail::parser::detail::raw_iterator find_bm<tacmail::parser::detail::raw_iterator>(
    tacmail::parser::detail::raw_iterator bit, tacmail::parser::detail::raw_iterator eit,
    const std::string& word, const std::random_access_iterator_tag&) {
  for (char c : word) {
    if (static_cast<unsigned char>(c) >= 0x80) return eit;
  }
  const std::string_view text(bit.get(), static_cast<std::size_t>(eit - bit));
  const std::size_t at = text.find(word);
  return at == std::string_view::npos ? eit : bit + static_cast<std::ptrdiff_t>(at);
}

}  // namespace utils

}  // namespace mimetic
