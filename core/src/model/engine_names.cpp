// GetParameterValues of a name list streamed from the request (issue 15): each name is
// resolved when the decoder hands it over, from where the previous one ended
// (PathResolver's hint), so the list is kept as locations, never as strings.
#include <bit>
#include <optional>
#include <span>
#include <stdexcept>

#include "model/engine_impl.hpp"

namespace cwmpd::core {

using model::Location;
using model::Node;

namespace {

// What a name resolved ahead to (DataModel::Ahead's words): the location, and the tree's
// shape generation it was resolved in.
struct AheadOf {
  Location loc;
  std::uint32_t generation = 0;
};
static_assert(sizeof(AheadOf) == sizeof(DataModel::Ahead));

// The location a name resolved to ahead, when the tree still has the shape it was
// resolved in (the same location as resolving it now); kind None otherwise, or when the
// name was left to be resolved on the model's thread.
Location stillNamed(const DataModel::Ahead& ahead) {
  const auto a = std::bit_cast<AheadOf>(ahead);
  if (a.generation != model::Tree::generation()) return {};
  return a.loc;
}

// The names of a streamed list resolved on the parse thread (issue 15), while the
// session's thread answers the names before them. Why this is safe:
// - what is read here is the tree's shape only (nodes, their rows and paths, the
//   definitions' parameters and children): every change of it holds model::Tree's shape
//   lock exclusively, and resolve() holds it shared. Such changes do happen while the
//   session's thread answers: a plugin's getter may call Host::ensureInstance or
//   removeInstance, and while a provider's getter waits (ModelLoan::suspend) the loop
//   runs timers whose refreshes create rows at once.
// - what was found is used only while the tree's generation is still the one read here
//   (stillNamed): PathResolver's result is a function of the name and the shape (the
//   cursor only shortens the walk), so it is what resolving the name on the session's
//   thread at that moment gives. Otherwise the name is resolved there, as before.
// - nodes' values are never read here: a name with "[" (a row by its Alias, which may
//   be a plugin's getter's and is cached in the row's values) and "" (the root, by the
//   list's rule) are left to the session's thread, as is an unknown name (its fault).
// - the cursor is this thread's own, and forgotten when the shape changed since the
//   last batch (its node may be gone).
class NamesAhead final : public DataModel::NameAhead {
 public:
  explicit NamesAhead(const model::PathResolver& resolver) : resolver_(resolver) {}
  void resolve(const std::string_view* names, std::size_t count, DataModel::Ahead* out) override {
    const model::Tree::ReadingShape reading;
    AheadOf a;
    a.generation = model::Tree::generation();
    if (a.generation != generation_) {
      cursor_ = {};
      generation_ = a.generation;
    }
    for (std::size_t i = 0; i < count; ++i) {
      const std::string_view name = names[i];
      a.loc = name.empty() || name.find('[') != std::string_view::npos
                  ? Location{}
                  : resolver_.resolve(name, cursor_);
      out[i] = std::bit_cast<DataModel::Ahead>(a);
    }
  }

 private:
  const model::PathResolver& resolver_;
  model::PathResolver::Cursor cursor_;
  std::uint32_t generation_ = 0;
};

class ResolvedNames final : public DataModel::NameList {
 public:
  explicit ResolvedNames(const model::PathResolver& resolver) : resolver_(resolver) {}

  // As PathResolver::resolveAll: "" is the root; the first unknown name is the fault,
  // and nothing after it is resolved.
  void add(std::string_view name) override {
    if (unknown_) return;
    if (name.empty()) {
      locations_.push_back(resolver_.top());
      return;
    }
    const Location loc = resolver_.resolve(name, cursor_);
    if (loc.kind == Location::None) {
      unknown_ = std::string(name);
      return;
    }
    locations_.push_back(loc);
  }

  void add(std::string_view name, const DataModel::Ahead& ahead) override {
    const Location loc = stillNamed(ahead);
    if (loc.kind == Location::None) {
      add(name);
    } else if (!unknown_) {
      locations_.push_back(loc);
    }
  }

  // The locations, or Fault 9005 as resolveOrThrow gives it.
  [[nodiscard]] const std::vector<Location>& locations() const {
    if (unknown_) {
      throw sdk::Fault(sdk::FaultCode::InvalidParameterName,
                       "Invalid parameter name: " + *unknown_);
    }
    return locations_;
  }
  [[nodiscard]] const void* maker() const override { return &resolver_; }

  [[nodiscard]] bool hasUnknown() const { return unknown_.has_value(); }
  // The locations added since the last call (visitNewValues), which `visit` is given; they
  // are forgotten afterwards (whether `visit` returns or throws): a list answered as its
  // names come never holds more than a batch of them. A 21,000-name list grew this vector
  // to 672 KB by doubling, in fresh pages each time (~330 page faults a request). After
  // that, locations() holds the names not visited yet (DataModel::visitNewValues).
  template <class Visit>
  void visitNew(const Visit& visit) {
    struct Forget {
      std::vector<Location>& locations;
      ~Forget() { locations.clear(); }
    } forget{locations_};
    visit(std::span<const Location>(locations_));
  }

 private:
  const model::PathResolver& resolver_;
  std::vector<Location> locations_;
  model::PathResolver::Cursor cursor_;
  std::optional<std::string> unknown_;
};

}  // namespace

void Engine::Impl::visitValuesAt(std::span<const Location> locations, const ValueVisitor& visit) {
  // The parameters of one object come one after the other: their getters share one
  // InstanceRef (made at the object's first getter, in the same memory each time) instead
  // of a copy of the path and the instance numbers per parameter. A stored value is given
  // where the model keeps it, not copied (a 20-byte dateTime was a malloc per read).
  const Node* refNode = nullptr;
  sdk::InstanceRef ref;
  auto refOf = [&](const Node& n) -> const sdk::InstanceRef& {
    if (refNode != &n) {
      tree.refInto(n, ref);
      refNode = &n;
    }
    return ref;
  };
  for (const auto& loc : locations) {
    model::Tree::forEachParamAt(loc, [&](Node& n, const model::ParamDef& p) {
      const sdk::ParamType type = p.type.list ? sdk::ParamType::String : p.type.base;
      if (!p.builtin && !p.getter && !p.secret) {  // read()'s stored value, as a view
        txn::checkInService(ctx, p.plugin);
        visit(n.path, p.name, type, n.values[p.index]);
        return;
      }
      visit(n.path, p.name, type,
            read(n, p, true, [&]() -> const sdk::InstanceRef& { return refOf(n); }));
    });
  }
}

std::unique_ptr<DataModel::NameList> Engine::newNameList() {
  return std::make_unique<ResolvedNames>(impl_->resolver);
}

std::unique_ptr<DataModel::NameAhead> Engine::newNameAhead() {
  return std::make_unique<NamesAhead>(impl_->resolver);
}

model::Location Engine::Impl::aheadLocation(const DataModel::Ahead& ahead) {
  return stillNamed(ahead);
}

namespace {
const ResolvedNames& resolvedBy(const DataModel::NameList& list, const model::PathResolver& r) {
  // Only this engine's resolver makes lists that say it made them (no RTTI needed).
  if (list.maker() != &r) throw std::logic_error("a name list of another model");
  return static_cast<const ResolvedNames&>(list);
}
ResolvedNames& resolvedBy(DataModel::NameList& list, const model::PathResolver& r) {
  if (list.maker() != &r) throw std::logic_error("a name list of another model");
  return static_cast<ResolvedNames&>(list);
}
}  // namespace

void Engine::visitValues(const NameList& list, const ValueVisitor& visit) {
  impl_->visitValuesAt(resolvedBy(list, impl_->resolver).locations(), visit);
}

DataModel::NewValues Engine::visitNewValues(NameList& list, const ValueVisitor& visit) {
  ResolvedNames& names = resolvedBy(list, impl_->resolver);
  if (names.hasUnknown()) return NewValues::UnknownName;
  names.visitNew([&](std::span<const Location> fresh) { impl_->visitValuesAt(fresh, visit); });
  return NewValues::Visited;
}

std::size_t Engine::countValues(const NameList& list) {
  std::size_t count = 0;
  for (const auto& loc : resolvedBy(list, impl_->resolver).locations())
    model::Tree::forEachParamAt(loc, [&](Node&, const model::ParamDef&) { ++count; });
  return count;
}

std::vector<ParameterAttributes> Engine::listAttributes(const NameList& list) {
  std::vector<ParameterAttributes> out;
  for (const auto& loc : resolvedBy(list, impl_->resolver).locations()) {
    model::Tree::forEachParamAt(loc, [&](Node& n, const model::ParamDef& p) {
      model::Attr a = impl_->attrs.of(n, p);
      out.push_back({n.path + p.name, a.notification, std::move(a.accessList)});
    });
  }
  return out;
}

}  // namespace cwmpd::core
