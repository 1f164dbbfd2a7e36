// What mimetic's parser read for each entity, kept on our side: the header fields as they
// were written, the Content-Type it parsed and the leaf body as a view into the raw message.
// mimetic's parser is handed raw_iterator; its header reader, entity type test and onBlock,
// specialised for that iterator below, record into an entity_record as they go. mimetic keeps its
// own copy of each field (to parse Content-Type and the like) and only gives back re-serialised
// values; its copy of a body (30 MB for a 30 MB attachment) is never made. Included by
// mime_reader.cpp only.
#pragma once

#include <mimetic/mimetic.h>

#include <compare>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mime_reader.hpp"

namespace tacmail::parser::detail {

class entity_record {
 public:
  struct entry {
    const mimetic::MimeEntity* entity;
    /// In order; values unfolded (the blanks of a fold become one space), not trimmed.
    std::vector<header_field> fields;
    /// The body as one run of the raw message, when it is one (else mimetic holds a copy).
    std::optional<std::string_view> body;
    /// The Content-Type mimetic read for the entity (its field's parsed value, or mimetic's
    /// empty one); set once its header is read.
    const mimetic::ContentType* content_type = nullptr;

    /// The body as mimetic would have held it.
    std::string_view body_text() const { return body ? *body : std::string_view(entity->body()); }
  };

  // A new entity whose header is about to be read.
  void begin(const mimetic::MimeEntity& entity) {
    entries_.push_back({&entity, {}, std::nullopt, nullptr});
    entries_.back().fields.reserve(16);  // a mail's header has a dozen or two fields
  }

  void add_field(const mimetic::MimeEntity& entity, std::string&& name, std::string&& value) {
    at(entity).fields.push_back({std::move(name), std::move(value)});
  }

  void set_content_type(const mimetic::MimeEntity& entity, const mimetic::ContentType& type) {
    at(entity).content_type = &type;
  }
  const mimetic::ContentType* content_type(const mimetic::MimeEntity& entity) {
    return at(entity).content_type;
  }

  // Called for each block mimetic would append to `entity`'s body. A body that is one run of
  // raw bytes (every well-formed part) is kept as a view; anything else is copied as mimetic
  // would have (a header line it took for the first body line is already in body()).
  void add_body(mimetic::MimeEntity& entity, const char* begin, std::size_t size) {
    entry& e = at(entity);
    std::string& copied = entity.body();
    if (!e.body && copied.empty()) {
      e.body = std::string_view(begin, size);
      return;
    }
    if (e.body && e.body->data() + e.body->size() == begin) {
      e.body = std::string_view(e.body->data(), e.body->size() + size);
      return;
    }
    if (e.body) {
      copied.append(*e.body);
      e.body.reset();
    }
    copied.append(begin, size);
  }

  // The entry of `entity`. Entities are recorded in the order the parser meets them, depth
  // first, and the tree is walked in that order, so the search goes on from the last one found.
  entry* find(const mimetic::MimeEntity& entity) {
    for (std::size_t n = 0; n < entries_.size(); ++n) {
      const std::size_t k = (cursor_ + n) % entries_.size();
      if (entries_[k].entity == &entity) {
        cursor_ = k;
        return &entries_[k];
      }
    }
    return nullptr;
  }

 private:
  std::vector<entry> entries_;
  std::size_t cursor_ = 0;

  // The entity being read is the latest one begun, or close to it.
  entry& at(const mimetic::MimeEntity& entity) {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      if (it->entity == &entity) return *it;
    }
    begin(entity);
    return entries_.back();
  }
};

// A position in the raw message for mimetic's parser: a pointer that also carries the
// entity_record its parser records into (mimetic hands the parser nothing else to reach).
class raw_iterator {
 public:
  using iterator_category = std::random_access_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  raw_iterator() = default;
  raw_iterator(const char* p, entity_record* record) : p_(p), record_(record) {}

  const char* get() const { return p_; }
  entity_record& record() const { return *record_; }

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
  entity_record* record_ = nullptr;
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
      bit.record().add_body(*entity, bit.get(), static_cast<std::size_t>(size));
      break;
  }
}

// mimetic's header reader for raw_iterator: the same states and the same answer, fields and
// where the body starts included (the field pending at the end of input is dropped, bytes
// after a NUL in a value are lost, a blank line start before any field joins the next value),
// but a run of name or value bytes is taken whole instead of a byte at a time into a buffer
// grown 128 bytes at a time. The tests compare it with mimetic's own on every corpus mail and
// on thousands of damaged headers.
template <>
inline void
IteratorParser<tacmail::parser::detail::raw_iterator, std::input_iterator_tag>::loadHeader() {
  enum {
    sInit,
    sIgnoreLine,
    sNewline,
    sWaitingName,
    sWaitingValue,
    sWaitingFoldedValue,
    sName,
    sValue,
    sIgnoreHeader
  };
  // Line ends and blanks are mimetic's own tests: isnl(c), isnl(a, b) for a two-byte line end
  // (CR LF, and LF CR as mimetic has it), isblank(c).
  const auto is_name_byte = [](char c) { return c > 32 && c < 127 && c != ':'; };
  const char* p = m_bit.get();
  const char* const end = m_eit.get();
  std::string name;
  std::string value;
  long pos = 0;  // bytes taken on the current line: 0 at a line end means an empty line
  int status = (m_iMask & imHeader) ? sIgnoreHeader : sInit;
  m_bit.record().begin(*m_entityStack.top());
  while (p != end) {
    char c = *p;
    switch (status) {
      case sInit:
        status = isnl(c) ? sNewline : sName;
        continue;
      case sIgnoreLine:
        if (!isnl(c)) break;
        status = sNewline;
        continue;
      case sNewline: {
        status = sWaitingName;
        const char first = c;
        if (++p == end) goto out;
        c = *p;
        if (pos == 0) {  // an empty line: the header ends after it
          if (isnl(first, c)) ++p;
          goto out;
        }
        pos = 0;
        if (isnl(first, c)) ++p;
        continue;
      }
      case sWaitingName:
        if (isblank(c)) {
          status = sWaitingFoldedValue;
          continue;
        }
        if (!name.empty()) {
          // mimetic hands the value over as a C string: it ends at a NUL.
          if (value.find('\0') != std::string::npos) value.resize(std::strlen(value.c_str()));
          addField(name, value);
          m_bit.record().add_field(*m_entityStack.top(), std::move(name), std::move(value));
          name.clear();
          value.clear();
        }
        status = isnl(c) ? sNewline : sName;
        continue;
      case sWaitingValue:
        if (isblank(c)) break;
        status = sValue;
        continue;
      case sWaitingFoldedValue:
        if (isblank(c)) break;
        value.push_back(' ');
        status = sValue;
        continue;
      case sName:
        if (is_name_byte(c)) {
          if (!name.empty() && isblank(name.back())) {
            // "NAME BLANK+ c": taken for the first body line
            onBlock(name.data(), static_cast<int>(name.size()), peBody);
            goto out;
          }
          const char* run = p;
          while (p != end && is_name_byte(*p)) ++p;
          name.append(run, static_cast<std::size_t>(p - run));
          pos += p - run;
          continue;
        }
        if (c == ':') {
          if (name.empty()) {
            status = sIgnoreLine;
            continue;
          }
          while (!name.empty() && isblank(name.back())) name.pop_back();
          status = sWaitingValue;
          break;
        }
        if (isblank(c)) {
          name.push_back(c);
          break;
        }
        // a bad header line, or no empty line before the body: the body starts here
        onBlock(name.data(), static_cast<int>(name.size()), peBody);
        goto out;
      case sValue: {
        if (isnl(c)) {
          status = sNewline;
          continue;
        }
        // The value runs to the first CR or LF (found by the library's memchr: values are
        // the bulk of a header).
        const char* run = p;
        const auto left = static_cast<std::size_t>(end - p);
        const void* lf = std::memchr(p, LF, left);
        const std::size_t to_lf =
            lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - p) : left;
        const void* cr = std::memchr(p, CR, to_lf);
        p = cr ? static_cast<const char*>(cr) : p + to_lf;
        value.append(run, static_cast<std::size_t>(p - run));
        pos += p - run;
        continue;
      }
      case sIgnoreHeader:
        if (isnl(c)) {
          const char first = c;
          if (++p == end) goto out;
          if (isnl(first, *p)) ++p;
          if (pos == 0) goto out;
          pos = 0;
          continue;
        }
        break;
    }
    ++p;
    ++pos;
  }
out:
  m_bit += p - m_bit.get();
}

// mimetic's entity type test for raw_iterator: the same test, and the Content-Type it looks
// up is kept in the entity's record for getBoundary below and for the converter. Looking a
// field up compares every field's name, a byte at a time through toupper: once is enough.
template <>
inline IteratorParser<tacmail::parser::detail::raw_iterator, std::input_iterator_tag>::EntityType
IteratorParser<tacmail::parser::detail::raw_iterator, std::input_iterator_tag>::getType() {
  const MimeEntity* entity = m_entityStack.top();
  const ContentType& ct = entity->header().contentType();
  m_bit.record().set_content_type(*entity, ct);
  if (ct.isMultipart()) return etMultipart;
  if (ct.type() == "message" && ct.subtype() == "rfc822") return etMsgRfc822;
  return etRfc822;
}

// mimetic's boundary of a multipart entity, from the Content-Type getType kept.
template <>
inline std::string
IteratorParser<tacmail::parser::detail::raw_iterator, std::input_iterator_tag>::getBoundary() {
  const MimeEntity* entity = m_entityStack.top();
  const ContentType* ct = m_bit.record().content_type(*entity);
  if (ct == nullptr) ct = &entity->header().contentType();
  return std::string("--") + ct->param("boundary");
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
