#include "cwmpd/core/rpc_dispatcher.hpp"

#include <sched.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <limits>
#include <system_error>
#include <thread>
#include <type_traits>

#include "cwmpd/core/log.hpp"
#include "cwmpd/core/soap/encoder.hpp"
#include "cwmpd/core/soap/fault_map.hpp"
#include "rpc/rpc_table.hpp"

namespace cwmpd::core {

using sdk::Fault;
using sdk::FaultCode;
using sdk::Source;

namespace {

// Bytes reserved per struct of a GetParameterValues/Names answer: the tags (about 100 and
// 80 bytes) plus a typical name and value, rounded up.
constexpr std::size_t kValueStructGuess = 192;
constexpr std::size_t kInfoStructGuess = 160;

std::optional<std::string> keyOf(const std::string& k) { return k; }

// TR-069 A.3.2.1: ParameterKey is at most 32 characters; CommandKey likewise.
void checkKey(const std::string& key, const char* what) {
  if (key.size() > 32)
    throw Fault(FaultCode::InvalidArguments, std::string(what) + " longer than 32 characters");
}

// xsi:type of a SetParameterValues value against the parameter's type (9006): only
// checked when the ACS states a type we can compare. Views only: it runs for every entry.
bool typeMatches(std::string_view xsiType, sdk::ParamType t) {
  if (xsiType.empty()) return true;
  const std::size_t colon = xsiType.find(':');
  const std::string_view local =
      colon == std::string_view::npos ? xsiType : xsiType.substr(colon + 1);
  std::string_view want = sdk::xsdTypeName(t);
  want = want.substr(want.find(':') + 1);
  if (local == want) return true;
  if (local == "base64" && t == sdk::ParamType::Base64) return true;
  // Lenient where ACSs commonly differ: integer widths and "anySimpleType"/"string".
  auto integral = [](std::string_view s) {
    return s == "int" || s == "unsignedInt" || s == "long" || s == "unsignedLong";
  };
  if (integral(local) && (t == sdk::ParamType::Int || t == sdk::ParamType::UnsignedInt ||
                          t == sdk::ParamType::Long || t == sdk::ParamType::UnsignedLong))
    return true;
  return local == "anySimpleType" || local == "string";
}

soap::Body methodNotSupported(std::string_view method) {
  return soap::makeFault(static_cast<int>(FaultCode::MethodNotSupported),
                         "Method not supported: " + std::string(method));
}

// The buffer of a GetParameterValues/Names answer of about `bytes`: the last answer's
// buffer when it holds that much (its pages are resident: a fresh 3 MB buffer is ~700
// page faults), else a new one with a quarter more room, so that the next answer of a
// slightly different count fits it too (room never written is only address space).
// `spare` is empty afterwards.
std::string answerBuffer(std::string& spare, std::size_t bytes) {
  std::string out;
  if (spare.capacity() >= bytes) {
    out.swap(spare);
    out.clear();
  } else {
    std::string().swap(spare);
    out.reserve(bytes + bytes / 4);
  }
  return out;
}

// ---- the methods the table answers on the data model (Handler::Model) ------------------

struct Context {
  DataModel& model;
  const RpcDispatcher& dispatcher;
  std::string& spare;  // the last answer's buffer (answerBuffer)
};

soap::Body answer(Context& c, const soap::GetRPCMethods&) {
  return soap::GetRPCMethodsResponse{c.dispatcher.supportedMethods()};
}

// A name that is not a partial path gives one value (or a fault).
bool fullName(std::string_view n) { return !n.empty() && n.back() != '.'; }

// Appends each value it is given to `out` (a GetParameterValues answer) through `writer`
// (one on `out.encoded`, finished by the caller), for one visit.
DataModel::ValueVisitor valueWriter(DataModel& model, soap::ListWriter& writer,
                                    soap::GetParameterValuesResponse& out) {
  if (model.instanceAliasMode()) {  // TR-069 3.6.1 InstanceMode
    // Names, and values that are paths (references), by alias. The value is copied first:
    // it may view the model's own text, and aliasPath may run a plugin's getter.
    return [&model, &writer, &out, name = std::string(), copy = std::string()](
               std::string_view object, std::string_view leaf, sdk::ParamType type,
               std::string_view value) mutable {
      writer.finish();  // none of its room ahead (it writes nothing here)
      name.assign(object);
      name += leaf;
      copy.assign(value);
      std::string path = model.aliasPath(name);
      soap::appendParameterValueStruct(out.encoded, path, sdk::xsdTypeName(type),
                                       model.aliasValue(name, copy));
      ++out.encodedCount;
    };
  }
  return [&out, &writer](std::string_view object, std::string_view leaf, sdk::ParamType type,
                         std::string_view value) {
    writer.value(object, leaf, sdk::xsdTypeName(type), value);
    ++out.encodedCount;
  };
}

// GetParameterValues of `names` (the request's strings, or a DataModel::NameList the
// decoder filled): `fullNames` of them are full names. Written as XML while the model is
// walked: the values never exist twice. The buffer is sized once from a count (a
// generous guess per struct: what is not written stays untouched address space); growing
// it by doubling would copy megabytes and fault in fresh pages each time.
template <class Names>
soap::Body valuesAnswer(DataModel& model, const Names& names, std::size_t size,
                        std::size_t fullNames, std::string& spare) {
  soap::GetParameterValuesResponse out;
  // A list of full parameter names gives one value per name (or a fault): only partial
  // paths need the model to count, which would resolve every name a second time.
  const std::size_t count = fullNames == size ? size : model.countValues(names);
  out.encoded = answerBuffer(spare, count * kValueStructGuess);
  soap::ListWriter writer(out.encoded);
  model.visitValues(names, valueWriter(model, writer, out));
  writer.finish();
  return out;
}

soap::Body answer(Context& c, const soap::GetParameterValues& r) {
  const auto& names = r.parameterNames;
  return valuesAnswer(
      c.model, names, names.size(),
      static_cast<std::size_t>(std::count_if(names.begin(), names.end(),
                                             [](const std::string& n) { return fullName(n); })),
      c.spare);
}

// The entries of a SetParameterValues handed to the model's value list as they come (from
// the decoder while the request is parsed, or from a decoded request): the model resolves,
// checks and stages each one then (issue 15), and each name's stated type is checked
// against what it resolved to. Both paths answer through apply(), so they cannot differ.
class SetList {
 public:
  explicit SetList(DataModel& model) : values_(model.newValueList(Source::Acs)) {}

  // `ahead`: what the name resolved to on the parse thread (DataModel::NameAhead).
  void add(std::string_view name, std::string_view value, std::string_view xsiType,
           const DataModel::Ahead* ahead = nullptr) {
    ++count_;
    // 9006 for a stated type that contradicts the definition; an unknown name (nullopt) is
    // reported by the model with 9005.
    const auto t = ahead != nullptr ? values_->add(name, value, *ahead) : values_->add(name, value);
    if (!xsiType.empty() && t && !typeMatches(xsiType, *t))
      typeFaults_.push_back({std::string(name), static_cast<int>(FaultCode::InvalidParameterType),
                             "Invalid parameter type: " + std::string(xsiType)});
  }

  // Once only.
  soap::Body apply(DataModel& model, const std::string& parameterKey) {
    checkKey(parameterKey, "ParameterKey");
    if (count_ == 0) throw Fault(FaultCode::InvalidArguments, "empty ParameterList");
    if (!typeFaults_.empty())
      throw SetFault(typeFaults_.size() == 1 ? typeFaults_[0].code
                                             : static_cast<int>(FaultCode::InvalidArguments),
                     typeFaults_[0].message, typeFaults_);
    return soap::SetParameterValuesResponse{model.applyValueList(*values_, keyOf(parameterKey))};
  }

 private:
  std::unique_ptr<DataModel::ValueList> values_;
  std::size_t count_ = 0;
  std::vector<ParameterFault> typeFaults_;
};

soap::Body answer(Context& c, const soap::SetParameterValues& r) {
  SetList list(c.model);
  for (const auto& p : r.parameterList) list.add(p.name, p.value, p.type);
  return list.apply(c.model, r.parameterKey);
}

AttributeUpdate attributeUpdate(soap::SetParameterAttributesStruct s) {
  return {std::move(s.name), s.notificationChange, s.notification, s.accessListChange,
          std::move(s.accessList)};
}

soap::Body attributesAnswer(DataModel& model, std::vector<ParameterAttributes> attributes) {
  soap::GetParameterAttributesResponse out;
  out.parameterList.reserve(attributes.size());
  const bool alias = model.instanceAliasMode();  // TR-069 3.6.1 InstanceMode
  for (auto& a : attributes)
    out.parameterList.push_back({alias ? model.aliasPath(a.name) : std::move(a.name),
                                 a.notification, std::move(a.accessList)});
  return out;
}

// Takes the list of a GetParameterValues, GetParameterAttributes, SetParameterValues or
// SetParameterAttributes from the decoder while the request is parsed (issue 15): names go
// to a name list of the model, which resolves each as it comes; a set's entries to a
// SetList (types checked as they come), attribute updates as the model takes them. The
// request's list is then empty, and answer() answers it as handle() answers the decoded
// request.
class RequestSink final : public soap::NameSink {
 public:
  // `discardable`: the request's text may be given back as it is parsed (discardsRead).
  RequestSink(DataModel& model, std::string& spare, bool discardable)
      : model_(model), spare_(spare), discardable_(discardable) {}

  // What begin() and beginStructs() answer for `method` (the parse thread's PipeSink
  // answers the same without touching the model).
  static bool streamsNames(std::string_view method) {
    return method == "GetParameterValues" || method == "GetParameterAttributes";
  }
  static bool streamsStructs(std::string_view method) {
    return method == "SetParameterValues" || method == "SetParameterAttributes";
  }

  // A GetParameterValues is answered as its names come (written()) instead of once the
  // message is decoded: for a request parsed on a second thread, whose answer is then
  // written while the rest is parsed. `bytes`: the answer's size, guessed.
  void answerAsNamesCome(std::size_t bytes) { asTheyCome_ = bytes; }

  // Writes the values of the names handed over since the last call, when answering as
  // the names come. Never throws: a getter's exception is the answer's, unless a name
  // turns out unknown (9005 comes first, as in valuesAnswer).
  void written() {
    if (streamed_ != Streamed::Values || !asTheyCome_ || stopped_) return;
    if (!values_) {
      values_.emplace();
      values_->encoded = answerBuffer(spare_, *asTheyCome_);
    }
    try {
      soap::ListWriter writer(values_->encoded);
      const auto visited = model_.visitNewValues(*names_, valueWriter(model_, writer, *values_));
      writer.finish();
      switch (visited) {
        case DataModel::NewValues::Visited: return;
        case DataModel::NewValues::UnknownName: break;
        case DataModel::NewValues::Unsupported: asTheyCome_.reset(); break;
      }
    } catch (...) {
      failure_ = std::current_exception();
    }
    stopped_ = true;
    values_.reset();  // the answer is a fault, or written at the end (Unsupported)
  }
  // Whether the names still to come are no longer needed (an unknown one was seen: the
  // answer is 9005 unless the message itself is an error).
  [[nodiscard]] bool namesUnneeded() const { return stopped_ && !failure_ && asTheyCome_; }

  bool begin(std::string_view method) override {
    if (method == "GetParameterValues") {
      streamed_ = Streamed::Values;
    } else {
      std::string().swap(spare_);  // no big answer to write: the last one's buffer goes
      if (!streamsNames(method)) return false;
      streamed_ = Streamed::Attributes;
    }
    names_ = model_.newNameList();
    return true;
  }
  void name(std::string_view n) override {
    names_->add(n);
    ++size_;
    if (fullName(n)) ++fullNames_;
  }
  // name(n) and valueItem() with what the parse thread resolved the name to (parsedAside).
  void name(std::string_view n, const DataModel::Ahead& ahead) {
    names_->add(n, ahead);
    ++size_;
    if (fullName(n)) ++fullNames_;
  }
  void valueItem(std::string_view name, std::string_view value, std::string_view type,
                 const DataModel::Ahead& ahead) {
    set_->add(name, value, type, &ahead);
  }
  // What resolves names ahead on the parse thread, made here (DataModel::NameAhead).
  [[nodiscard]] std::unique_ptr<DataModel::NameAhead> nameAhead() { return model_.newNameAhead(); }
  bool beginStructs(std::string_view method) override {
    std::string().swap(spare_);  // before the list's own memory grows
    if (method == "SetParameterValues") {
      streamed_ = Streamed::Set;
      set_.emplace(model_);
    } else if (method == "SetParameterAttributes") {
      streamed_ = Streamed::SetAttributes;
      updates_ = model_.newAttributeList();
    } else {
      return false;
    }
    return true;
  }
  void value(soap::ParameterValueStruct&& p) override { set_->add(p.name, p.value, p.type); }
  void valueItem(std::string_view name, std::string_view value, std::string_view type) override {
    set_->add(name, value, type);
  }
  // Checked and resolved by the model as it comes (issue 15); the first fault is answered
  // once the whole message has decoded, and nothing is set before that.
  void attributes(soap::SetParameterAttributesStruct&& s) override {
    updates_->add(attributeUpdate(std::move(s)));
  }

  // The text is the caller's to give back, and what is streamed here is copied (names are
  // resolved or stored as strings, entries are strings of their own).
  [[nodiscard]] bool discardsRead() const override {
    return discardable_ && streamed_ != Streamed::None;
  }

  // Whether nothing held here looks into the request's text (a set's entries are staged
  // as the model's own strings; a name list may keep views).
  [[nodiscard]] bool ownsWhatItHolds() const { return streamed_ == Streamed::Set; }

  // The answer to `request` when its list was streamed here; nullopt otherwise.
  [[nodiscard]] std::optional<soap::Body> answer(const soap::Body& request) {
    switch (streamed_) {
      case Streamed::None: return std::nullopt;
      case Streamed::Values:
        if (!std::holds_alternative<soap::GetParameterValues>(request)) return std::nullopt;
        if (asTheyCome_) return valuesAsTheyCame();
        return valuesAnswer(model_, static_cast<const DataModel::NameList&>(*names_), size_,
                            fullNames_, spare_);
      case Streamed::Attributes:
        if (!std::holds_alternative<soap::GetParameterAttributes>(request)) return std::nullopt;
        return attributesAnswer(model_, model_.listAttributes(*names_));
      case Streamed::Set:
        if (const auto* r = std::get_if<soap::SetParameterValues>(&request))
          return set_->apply(model_, r->parameterKey);
        return std::nullopt;
      case Streamed::SetAttributes:
        if (!std::holds_alternative<soap::SetParameterAttributes>(request)) return std::nullopt;
        model_.applyAttributes(*updates_);
        return soap::SetParameterAttributesResponse{};
    }
    return std::nullopt;
  }

 private:
  // The answer written by written(): 9005 for an unknown name first (countValues throws
  // it, reading no value), then a getter's exception, as valuesAnswer gives them.
  soap::Body valuesAsTheyCame() {
    written();
    if (stopped_) {
      (void)model_.countValues(*names_);
      if (failure_) std::rethrow_exception(failure_);
    }
    return std::move(*values_);
  }

  enum class Streamed : std::uint8_t { None, Values, Attributes, Set, SetAttributes };
  DataModel& model_;
  std::string& spare_;
  bool discardable_;
  Streamed streamed_ = Streamed::None;
  std::unique_ptr<DataModel::NameList> names_;
  std::size_t size_ = 0;
  std::size_t fullNames_ = 0;
  std::optional<SetList> set_;
  std::unique_ptr<DataModel::AttributeList> updates_;
  std::optional<std::size_t> asTheyCome_;                   // answerAsNamesCome
  std::optional<soap::GetParameterValuesResponse> values_;  // written so far
  bool stopped_ = false;                                    // written() wrote its last
  std::exception_ptr failure_;                              // a getter's, while written
};

// ---- a large request parsed on a second thread (issue 15) ------------------------------
//
// The parse thread runs Xerces-C and the decoder's SAX handler over the request text and
// hands the list's items over in batches through a bounded queue; the session's thread
// (the worker) replays them on the RequestSink, which stages them (and writes a
// GetParameterValues answer) while the parse goes on. The worker's thread is the critical
// path, so the parse thread also resolves each batch's names before it goes, through the
// model's NameAhead (made on the worker's thread): it reads the tree's shape only, under
// the model's rules for that (engine_names.cpp says why it is safe), and the worker uses
// a name's location only while the model says it still holds, else resolves the name
// itself. Otherwise only the worker touches the model; the parse thread touches its
// Decoder, the request text and the queue.

// The sink calls of a stretch of the message, in order: a begin event first, then items.
struct Batch {
  std::optional<std::string> begin;         // begin(method)
  std::optional<std::string> beginStructs;  // beginStructs(method)
  std::string text;                         // the names, one after another
  std::vector<std::size_t> ends;            // where each name ends in `text`
  // A set's entries (issue 15): name, value and type of each, one after another in one
  // buffer, and where each of the three ends; no strings of their own.
  std::string valueText;
  std::vector<std::array<std::size_t, 3>> valueEnds;
  std::vector<soap::SetParameterAttributesStruct> attributes;
  // What the names (then the set's entries' names) resolved to on the parse thread; empty
  // when the model does not resolve ahead (DataModel::NameAhead).
  std::vector<DataModel::Ahead> ahead;

  [[nodiscard]] std::size_t items() const {
    return ends.size() + valueEnds.size() + attributes.size();
  }
  void addValue(std::string_view name, std::string_view value, std::string_view type) {
    valueText.append(name);
    const std::size_t n = valueText.size();
    valueText.append(value);
    const std::size_t v = valueText.size();
    valueText.append(type);
    valueEnds.push_back({n, v, valueText.size()});
  }
  [[nodiscard]] bool empty() const { return !begin && !beginStructs && items() == 0; }
  void clear() {
    begin.reset();
    beginStructs.reset();
    text.clear();
    ends.clear();
    valueText.clear();
    valueEnds.clear();
    attributes.clear();
    ahead.clear();
  }
  void replay(RequestSink& sink) {
    if (begin) (void)sink.begin(*begin);
    if (beginStructs) (void)sink.beginStructs(*beginStructs);
    const DataModel::Ahead* resolved = ahead.empty() ? nullptr : ahead.data();
    std::size_t from = 0;
    for (const std::size_t end : ends) {
      const std::string_view n = std::string_view(text).substr(from, end - from);
      if (resolved != nullptr)
        sink.name(n, *resolved++);
      else
        sink.name(n);
      from = end;
    }
    const std::string_view values(valueText);
    from = 0;
    for (const auto& [n, v, t] : valueEnds) {
      const std::string_view name = values.substr(from, n - from);
      if (resolved != nullptr)
        sink.valueItem(name, values.substr(n, v - n), values.substr(v, t - v), *resolved++);
      else
        sink.valueItem(name, values.substr(n, v - n), values.substr(v, t - v));
      from = t;
    }
    for (auto& a : attributes) sink.attributes(std::move(a));
  }
};

// Batches from the parse thread to the worker through a ring of kDepth slots, one producer
// and one consumer, without a lock: each side swaps its batch with a slot, so the worker's
// consumed batches go back to the parse thread to be filled again (their capacity kept),
// and what is held does not grow with the body. A side with nothing to do spins a little
// (a batch of a fast parse takes microseconds), then sleeps on the other side's counter;
// the other wakes it only when it says it sleeps (Word), and the parse thread, once it
// found the ring full, only when half of it is free again: neither thread sleeps and is
// woken once per batch. At 20,000 names a mutex and two condition variables cost ~440
// futex calls a request (eleventh session).
class BatchQueue {
 public:
  static constexpr std::uint32_t kDepth = 4;

  // Parse thread: queues `b`, which becomes an empty batch to fill. Waits while the ring
  // is full; throws soap::StopParse once the worker stopped (the parse ends there).
  void push(Batch& b) {
    std::uint32_t head = head_.value.load(std::memory_order_acquire);
    if (pushed_ - (head >> 1) >= kDepth) {
      // Full: wait until half of it is free (the worker wakes this thread then).
      auto roomy = [&](std::uint32_t h) {
        return (h & kStopped) != 0 || pushed_ - (h >> 1) <= kDepth / 2;
      };
      head = waitFor(head_, head, roomy);
    }
    if ((head & kStopped) != 0) throw soap::StopParse{};
    std::swap(slots_[pushed_ % kDepth], b);
    b.clear();
    ++pushed_;
    tail_.set(pushed_ << 1);
  }
  // Parse thread: nothing more comes.
  void close() { tail_.set((pushed_ << 1) | kClosed); }
  // Worker: the next batch into `b` (its last one goes back for reuse); false once the
  // queue is closed and empty.
  bool pop(Batch& b) {
    auto ready = [&](std::uint32_t t) { return (t & kClosed) != 0 || (t >> 1) != popped_; };
    const std::uint32_t tail = waitFor(tail_, tail_.value.load(std::memory_order_acquire), ready);
    if ((tail >> 1) == popped_) return false;
    std::swap(b, slots_[popped_ % kDepth]);
    ++popped_;
    // The parse thread waits for half the ring (a tail read late only says less).
    head_.set(popped_ << 1,
              (tail_.value.load(std::memory_order_acquire) >> 1) - popped_ <= kDepth / 2);
    return true;
  }
  // Worker: the parse is to end now (the worker is failing).
  void stop() { head_.set((popped_ << 1) | kStopped); }

  // Worker -> parse thread: names are no longer needed (RequestSink::namesUnneeded).
  std::atomic<bool> skipNames{false};
  // Worker -> parse thread: the worker no longer reads the request's text.
  std::atomic<bool> textRead{false};

 private:
  static constexpr std::uint32_t kClosed = 1;   // in tail_
  static constexpr std::uint32_t kStopped = 1;  // in head_
  // A counter one side sets and the other waits on: the waiting side says that it sleeps
  // (sleeper), and the setting side wakes it only then (std::atomic's notify is a
  // system call whether anyone waits or not). Both say it in sequentially consistent
  // order: the sleeper sees the new value, or the setter sees the sleeper.
  struct Word {
    std::atomic<std::uint32_t> value{0};
    std::atomic<bool> sleeper{false};
    // `wake`: whether a sleeper is to be woken by this value.
    void set(std::uint32_t v, bool wake = true) {
      value.store(v);
      if (wake && sleeper.load()) value.notify_one();
    }
  };
  // `word`'s value once `done` says so, from `seen`: spins first (~20 us, about a batch of
  // a fast parse), then sleeps on it. Out of line, so that profiles show the spin apart.
  template <class Done>
  [[gnu::noinline]] static std::uint32_t waitFor(Word& word, std::uint32_t seen, const Done& done) {
    if (done(seen)) return seen;
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
    for (unsigned i = 1; !done(seen); ++i) {
      relax();
      seen = word.value.load(std::memory_order_acquire);
      if (i % 64 == 0 && std::chrono::steady_clock::now() >= until) break;
    }
    while (!done(seen)) {
      word.sleeper.store(true);
      seen = word.value.load();
      if (!done(seen)) word.value.wait(seen);
      word.sleeper.store(false);
      seen = word.value.load(std::memory_order_acquire);
    }
    return seen;
  }
  static void relax() {
#if defined(__SSE2__)
    _mm_pause();
#endif
  }

  std::array<Batch, kDepth> slots_;
  // Counts of batches, shifted left by one; the low bit: closed (tail_, by the parse
  // thread) and stopped (head_, by the worker).
  Word tail_;
  Word head_;
  std::uint32_t pushed_ = 0;  // the parse thread's own
  std::uint32_t popped_ = 0;  // the worker's own
};

// The parse thread's sink: answers begin/beginStructs as the RequestSink will, and batches
// the calls for the worker.
class PipeSink final : public soap::NameSink {
 public:
  // `discardable`: the request's text may be given back as it is parsed. `ahead`: resolves
  // the names of each batch before it goes (null: the worker resolves them).
  PipeSink(BatchQueue& queue, bool discardable, DataModel::NameAhead* ahead)
      : queue_(queue), discardable_(discardable), ahead_(ahead) {}
  bool begin(std::string_view method) override {
    flush();
    batch_.begin = std::string(method);
    streaming_ = RequestSink::streamsNames(method);
    return streaming_;
  }
  bool beginStructs(std::string_view method) override {
    flush();
    batch_.beginStructs = std::string(method);
    streaming_ = RequestSink::streamsStructs(method);
    return streaming_;
  }
  // The items go over as copies in batches; the worker reads the text only until it has
  // guessed the answer's size.
  [[nodiscard]] bool discardsRead() const override {
    return discardable_ && streaming_ && queue_.textRead.load(std::memory_order_acquire);
  }
  void name(std::string_view n) override {
    if (queue_.skipNames.load(std::memory_order_relaxed)) return;
    batch_.text += n;
    batch_.ends.push_back(batch_.text.size());
    if (batch_.ends.size() >= kNames || batch_.text.size() >= kTextBytes) flush();
  }
  void valueItem(std::string_view name, std::string_view value, std::string_view type) override {
    batch_.addValue(name, value, type);
    if (batch_.valueEnds.size() >= kStructs || batch_.valueText.size() >= kTextBytes) flush();
  }
  void value(soap::ParameterValueStruct&& item) override {
    valueItem(item.name, item.value, item.type);
  }
  void attributes(soap::SetParameterAttributesStruct&& item) override {
    batch_.attributes.push_back(std::move(item));
    if (batch_.attributes.size() >= kStructs) flush();
  }
  // What is left, once the parse has ended.
  void flush() {
    if (batch_.empty()) return;
    if (ahead_ != nullptr) resolveAhead();
    queue_.push(batch_);
  }

 private:
  // A batch: enough to make the queue's locking negligible, small enough for the worker to
  // start early and for the queue to hold little (kDepth of them).
  static constexpr std::size_t kNames = 256;
  static constexpr std::size_t kTextBytes = std::size_t{32} * 1024;
  static constexpr std::size_t kStructs = 128;
  // The batch's names, then its entries' names, resolved into batch_.ahead.
  void resolveAhead() {
    names_.clear();
    std::size_t from = 0;
    for (const std::size_t end : batch_.ends) {
      names_.push_back(std::string_view(batch_.text).substr(from, end - from));
      from = end;
    }
    from = 0;
    for (const auto& [n, v, t] : batch_.valueEnds) {
      names_.push_back(std::string_view(batch_.valueText).substr(from, n - from));
      from = t;
    }
    batch_.ahead.resize(names_.size());
    if (!names_.empty()) ahead_->resolve(names_.data(), names_.size(), batch_.ahead.data());
  }

  BatchQueue& queue_;
  bool discardable_;
  DataModel::NameAhead* ahead_;
  bool streaming_ = false;
  Batch batch_;
  std::vector<std::string_view> names_;
};

// How many times `c` occurs in `text`. A 1 MB request is counted while its parse thread
// starts, on the thread that then resolves and answers every name (the critical path):
// byte by byte this was ~8 M instructions of a 21,000-name request, 16 bytes at a time it
// is ~0.3 M.
std::size_t occurrences(std::string_view text, char c) {
  std::size_t count = 0;
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i want = _mm_set1_epi8(c);
  const __m128i zero = _mm_setzero_si128();
  while (i + 16 <= text.size()) {
    // Each byte lane counts down from 0 (a match adds -1) for at most 255 blocks; then
    // the lanes are summed.
    __m128i lanes = zero;
    const std::size_t blocks = std::min<std::size_t>((text.size() - i) / 16, 255);
    for (std::size_t b = 0; b < blocks; ++b, i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
      lanes = _mm_add_epi8(lanes, _mm_cmpeq_epi8(v, want));
    }
    const __m128i sums = _mm_sad_epu8(_mm_sub_epi8(zero, lanes), zero);
    count += static_cast<std::size_t>(_mm_cvtsi128_si32(sums)) +
             static_cast<std::size_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums)));
  }
#endif
  for (; i < text.size(); ++i) count += text[i] == c ? 1 : 0;
  return count;
}

// How many CPUs this process may run on.
unsigned cpusOnline() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return static_cast<unsigned>(CPU_COUNT(&set));
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}

// The session's thread and the parse thread on CPUs of their own while the parse runs.
// Left to the scheduler, the two were seen taking turns on one CPU for whole requests with
// the other idle: a new thread starts on its maker's CPU, and on a virtual machine a
// thread woken by the other one is put beside it rather than on a halted CPU. The session's
// thread is held on the CPU it is on and the parse thread kept off it; the session's
// thread gets its own CPUs back at the end. Nothing changes with a single CPU.
class CpuSplit {
 public:
  CpuSplit() {
    const int cpu = sched_getcpu();
    if (cpu < 0 || sched_getaffinity(0, sizeof(allowed_), &allowed_) != 0 ||
        !CPU_ISSET(cpu, &allowed_) || CPU_COUNT(&allowed_) < 2)
      return;
    cpu_set_t here;
    CPU_ZERO(&here);
    CPU_SET(cpu, &here);
    if (sched_setaffinity(0, sizeof(here), &here) != 0) return;
    cpu_ = cpu;
  }
  ~CpuSplit() {
    if (cpu_ >= 0) (void)sched_setaffinity(0, sizeof(allowed_), &allowed_);
  }
  CpuSplit(const CpuSplit&) = delete;
  CpuSplit& operator=(const CpuSplit&) = delete;

  // On the parse thread.
  void keepOff() const {
    if (cpu_ < 0) return;
    cpu_set_t others = allowed_;
    CPU_CLR(cpu_, &others);
    (void)sched_setaffinity(0, sizeof(others), &others);
  }

 private:
  cpu_set_t allowed_{};
  int cpu_ = -1;
};

// decode(payload, limits, &sink), the parse on a second thread with `decoder` (made
// again when the limits differ): the sink's calls come on this thread, in batches.
soap::DecodeResult parsedAside(std::unique_ptr<soap::Decoder>& parseDecoder,
                               std::string_view payload, const soap::DecodeLimits& limits,
                               RequestSink& sink, bool discardable) {
  if (!parseDecoder || parseDecoder->limits().maxBodyBytes != limits.maxBodyBytes ||
      parseDecoder->limits().maxDepth != limits.maxDepth ||
      parseDecoder->limits().maxArrayItems != limits.maxArrayItems)
    parseDecoder = std::make_unique<soap::Decoder>(limits);
  BatchQueue queue;
  std::optional<soap::DecodeResult> result;
  std::exception_ptr failure;
  soap::Decoder& decoder = *parseDecoder;
  const std::unique_ptr<DataModel::NameAhead> ahead = sink.nameAhead();
  const CpuSplit cpus;
  std::thread parser;
  try {
    parser = std::thread([&]() noexcept {
      cpus.keepOff();
      try {
        PipeSink pipe(queue, discardable, ahead.get());
        result.emplace(decoder.decode(payload, &pipe));
        pipe.flush();
      } catch (const soap::StopParse&) {  // the worker failed: its exception is the outcome
      } catch (...) {
        failure = std::current_exception();
      }
      queue.close();
    });
  } catch (const std::system_error&) {
    // No thread to be had (the process's or the system's limit): the same parse on this
    // thread, as on a single CPU; the sink has seen nothing yet.
    return decoder.decode(payload, &sink);
  }
  // Joined whatever happens: a worker that fails first stops the parse.
  struct Join {
    BatchQueue& queue;
    std::thread& parser;
    ~Join() {
      if (parser.joinable()) {
        queue.stop();
        parser.join();
      }
    }
  } join{queue, parser};
  // A GetParameterValues answer's size, guessed from the elements of the request (two tags
  // an element; read while the parse thread starts): a struct per item. The guess only
  // sizes the buffer; the request's bytes alone would count whitespace and long names.
  sink.answerAsNamesCome(occurrences(payload, '<') / 2 * kValueStructGuess);
  queue.textRead.store(true, std::memory_order_release);
  Batch batch;
  while (queue.pop(batch)) {
    batch.replay(sink);
    sink.written();
    if (sink.namesUnneeded()) queue.skipNames.store(true, std::memory_order_relaxed);
  }
  parser.join();
  if (failure) std::rethrow_exception(failure);
  return std::move(*result);
}

soap::Body answer(Context& c, const soap::GetParameterNames& r) {
  soap::GetParameterNamesResponse out;
  // One walk over the names: the buffer is sized from a count over the objects only
  // (countNames), not from a first walk over every parameter.
  if (!r.nextLevel)
    out.encoded = answerBuffer(c.spare, c.model.countNames(r.parameterPath) * kInfoStructGuess);
  if (c.model.instanceAliasMode()) {  // TR-069 3.6.1 InstanceMode
    std::string name;
    c.model.visitNames(r.parameterPath, r.nextLevel,
                       [&](std::string_view object, std::string_view leaf, bool writable) {
                         name.assign(object);
                         name += leaf;
                         soap::appendParameterInfoStruct(out.encoded, c.model.aliasPath(name),
                                                         writable);
                         ++out.encodedCount;
                       });
    return out;
  }
  soap::ListWriter writer(out.encoded);
  c.model.visitNames(r.parameterPath, r.nextLevel,
                     [&](std::string_view object, std::string_view leaf, bool writable) {
                       writer.info(object, leaf, writable);
                       ++out.encodedCount;
                     });
  writer.finish();  // before `out` is moved into the answer
  return out;
}

soap::Body answer(Context& c, const soap::SetParameterAttributes& r) {
  std::vector<AttributeUpdate> ups;
  ups.reserve(r.parameterList.size());
  for (const auto& s : r.parameterList) ups.push_back(attributeUpdate(s));
  c.model.setAttributes(ups);
  return soap::SetParameterAttributesResponse{};
}

soap::Body answer(Context& c, const soap::GetParameterAttributes& r) {
  return attributesAnswer(c.model, c.model.getAttributes(r.parameterNames));
}

soap::Body answer(Context& c, const soap::AddObject& r) {
  checkKey(r.parameterKey, "ParameterKey");
  auto n = c.model.addObject(r.objectName, Source::Acs, keyOf(r.parameterKey));
  return soap::AddObjectResponse{n, 0};
}

soap::Body answer(Context& c, const soap::DeleteObject& r) {
  checkKey(r.parameterKey, "ParameterKey");
  c.model.deleteObject(r.objectName, Source::Acs, keyOf(r.parameterKey));
  return soap::DeleteObjectResponse{0};
}

// ---- what the dispatcher checks before an agent's handler runs (Handler::Agent) --------

template <class Request>
void check(const Request&) {}
void check(const soap::Reboot& r) { checkKey(r.commandKey, "CommandKey"); }
void check(const soap::ScheduleInform& r) {
  checkKey(r.commandKey, "CommandKey");
  // TR-069 A.4.1.2: DelaySeconds must be greater than zero.
  if (r.delaySeconds == 0)
    throw Fault(FaultCode::InvalidArguments, "DelaySeconds must be greater than 0");
}
void check(const soap::Download& r) { checkKey(r.commandKey, "CommandKey"); }
void check(const soap::Upload& r) { checkKey(r.commandKey, "CommandKey"); }
void check(const soap::ScheduleDownload& r) { checkKey(r.commandKey, "CommandKey"); }

}  // namespace

struct RpcDispatcher::Dispatch {
  // The answer of row I of the table when `request` is its request type.
  template <std::size_t I>
  static bool row(RpcDispatcher& d, const soap::Body& request, soap::Body& out) {
    constexpr const auto& method = std::get<I>(rpc::kCpeMethods);
    using Request = typename std::decay_t<decltype(method)>::RequestType;
    const Request* r = std::get_if<Request>(&request);
    if (r == nullptr) return false;
    if (static_cast<unsigned>(method.since) > d.cwmpMinor_) {
      // TR-069 A.4.1: a session runs in the negotiated version; a method it does not
      // define is not supported in it.
      out = methodNotSupported(method.name);
    } else if constexpr (method.handler == rpc::Handler::Model) {
      Context c{d.model_, d, d.spare_};
      out = answer(c, *r);
    } else {
      if (!d.provided(request.index())) {
        out = methodNotSupported(method.name);
      } else {
        check(*r);
        out = d.agent_[request.index()](request);
      }
    }
    return true;
  }

  template <std::size_t... I>
  static bool anyRow(RpcDispatcher& d, const soap::Body& request, soap::Body& out,
                     std::index_sequence<I...>) {
    return (row<I>(d, request, out) || ...);
  }
};

RpcDispatcher::RpcDispatcher(DataModel& model)
    : model_(model),
      parseThreadFrom_(cpusOnline() > 1 ? kParseThreadFrom
                                        : std::numeric_limits<std::size_t>::max()) {}

RpcDispatcher::~RpcDispatcher() = default;

void RpcDispatcher::provideVendor(std::string name, VendorHandler handler) {
  vendor_[std::move(name)] = std::move(handler);
}

std::vector<std::string> RpcDispatcher::supportedMethods() const {
  std::vector<std::string> m;
  rpc::forEachRow(rpc::kCpeMethods, [&](const auto& method) {
    using Request = typename std::decay_t<decltype(method)>::RequestType;
    if (!method.listed || static_cast<unsigned>(method.since) > cwmpMinor_) return;
    if (method.handler == rpc::Handler::Agent &&
        !provided(indexOf<Request>(static_cast<soap::Body*>(nullptr))))
      return;
    m.emplace_back(method.name);
  });
  for (const auto& [name, fn] : vendor_) m.push_back(name);
  return m;
}

RpcDispatcher::Decoded RpcDispatcher::decodeAndAnswer(std::string_view payload,
                                                      const soap::DecodeLimits& limits,
                                                      std::string* text, std::string lastAnswer) {
  spare_ = std::move(lastAnswer);
  RequestSink sink(model_, spare_, text != nullptr);
  Decoded out{payload.size() >= parseThreadFrom_
                  ? parsedAside(parseDecoder_, payload, limits, sink, text != nullptr)
                  : soap::decode(payload, limits, &sink),
              std::nullopt};
  // A set's entries and the decoded request own their strings; a streamed name list may
  // still look into the text.
  if (text != nullptr && sink.ownsWhatItHolds()) std::string().swap(*text);
  // A header entry we must but cannot understand: the session answers its fault, and
  // nothing of the request is done (TR-069 A.2.2).
  const bool run = out.result.ok() && out.result.envelope().header.unknownMustUnderstand.empty();
  if (run) {
    try {
      out.answer = sink.answer(out.result.envelope().body);
    } catch (...) {
      out.answer = soap::toSoapFault(std::current_exception());
    }
  }
  // The last answer's buffer stays only for the handle() of a GetParameterNames.
  if (!run || out.answer ||
      !std::holds_alternative<soap::GetParameterNames>(out.result.envelope().body))
    std::string().swap(spare_);
  return out;
}

soap::Body RpcDispatcher::handle(const soap::Body& request) {
  struct ReleaseSpare {
    std::string& spare;
    ~ReleaseSpare() { std::string().swap(spare); }
  } release{spare_};
  try {
    soap::Body out;
    constexpr auto kRows = std::tuple_size_v<std::decay_t<decltype(rpc::kCpeMethods)>>;
    if (Dispatch::anyRow(*this, request, out, std::make_index_sequence<kRows>{})) return out;
    if (const auto* v = std::get_if<soap::VendorMethod>(&request)) {
      auto it = vendor_.find(v->name);
      if (it == vendor_.end()) return methodNotSupported(v->name);
      return it->second(*v);
    }
    // A response or an ACS-side method where a request was expected.
    return soap::makeFault(static_cast<int>(FaultCode::MethodNotSupported),
                           "Not a CPE method: " + soap::methodName(request));
  } catch (...) {
    return soap::toSoapFault(std::current_exception());
  }
}

}  // namespace cwmpd::core
