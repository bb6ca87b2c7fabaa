// RemoteSubtrees: a provider's subtree mounted into the tree at run time (issue 18). It is
// registered like a plugin (its own plugin id, so the transaction, the firewall and the
// definitions treat it as one), with every parameter read live from the provider and
// every object bound to its Validate/Apply/Rollback and Add/Delete. The provider names
// its instances by key; the core numbers them by key in the store (as for a plugin's
// Host::ensureInstance), so the numbers survive the provider's restarts.
#include <algorithm>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>

#include "model/engine_impl.hpp"

namespace cwmpd::core {

using model::Location;
using model::Node;
using model::ObjectDef;
using model::ParamDef;
using model::Tree;
using sdk::Fault;
using sdk::FaultCode;

namespace {

// The provider's name of `n`: its keys where the core has numbers, on the rows of the
// provider's own tables.
std::string providerPath(const Node& n, int plugin) {
  std::vector<const Node*> chain;
  for (const Node* p = &n; p->parent; p = p->parent) chain.push_back(p);
  const Node* root = &n;
  while (root->parent) root = root->parent;
  std::string out = root->path;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const Node* c = *it;
    out += c->def->name;
    out += '.';
    if (c->number) {
      out += c->def->plugin == plugin && !c->key.empty() ? c->key : std::to_string(c->number);
      out += '.';
    }
  }
  return out;
}

// The core's name of the provider's `name`; empty when it names nothing that exists.
std::string corePath(const Tree& tree, const std::string& name, int plugin) {
  Node* n = tree.rootNode();
  if (name.compare(0, n->path.size(), n->path) != 0) return {};
  std::size_t pos = n->path.size();
  while (pos < name.size()) {
    std::size_t dot = name.find('.', pos);
    std::string seg = name.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    ObjectDef* d = n->def->findChild(seg);
    if (!d) return dot == std::string::npos && n->def->findParam(seg) ? n->path + seg : "";
    if (dot == std::string::npos) return {};
    std::size_t kid = static_cast<std::size_t>(
        std::find(n->def->children.begin(), n->def->children.end(), d) - n->def->children.begin());
    pos = dot + 1;
    if (!d->multi) {
      n = n->kids[kid].single.get();
      continue;
    }
    dot = name.find('.', pos);
    if (dot == std::string::npos) return {};
    std::string key = name.substr(pos, dot - pos);
    Node* next = nullptr;
    for (auto& [num, row] : n->kids[kid].rows)
      if (d->plugin == plugin ? row->key == key : std::to_string(num) == key) next = row.get();
    if (!next) return {};
    n = next;
    pos = dot + 1;
  }
  return {};
}

// The nearest object above `pattern` that is defined already.
ObjectDef* nearestExisting(const Tree& tree, const std::string& pattern) {
  for (std::size_t end = pattern.rfind('.', pattern.size() - 2);
       end != std::string::npos && end > 0; end = pattern.rfind('.', end - 1))
    if (ObjectDef* d = tree.findDef(pattern.substr(0, end + 1))) return d;
  return nullptr;
}

// An object of the agent itself: ManagementServer (whose values the core keeps and the
// session engine works with, under either root), or one the core defines with values of
// its own. The root and Services. are where providers mount, not the agent's own.
bool agentsOwn(const ObjectDef& d, const std::string& root) {
  if (d.pattern == root + ".ManagementServer.") return true;
  if (d.plugin >= 0 || d.pattern == root + "." || d.pattern == root + ".Services.") return false;
  return std::any_of(d.params.begin(), d.params.end(),
                     [](const auto& p) { return p->plugin < 0 && !p->builtin; });
}

template <typename F>
void forEachNodeOf(Node& n, const ObjectDef* def, F&& f) {
  if (n.def == def) f(n);
  for (auto& k : n.kids) {
    if (k.single) forEachNodeOf(*k.single, def, f);
    for (auto& [num, row] : k.rows) forEachNodeOf(*row, def, f);
  }
}

// One lending of the model: who holds it, the worker or the loop. Shared with the loop's
// handlers, which may still wake from their wait after the worker has returned.
struct Loan {
  explicit Loan(boost::asio::io_context& context) : io(context) {}
  boost::asio::io_context& io;
  std::mutex mutex;
  std::condition_variable cv;
  bool workerHolds = false;
};

// The loop's side of the lending: suspended work and what waits for none to be. Touched
// only by whoever holds the model (the handoff's mutex orders it).
int suspended = 0;
// The loop's own changes asked while work was suspended (queueOwnChange), in order.
std::deque<std::function<void()>> ownChanges;
// Loop work (whenIdle) and lent threads waiting their turn (awaitTurn), in order.
std::deque<std::function<void()>> idleWork;
// Changes asked on the loop (queueChange), in order; one runs at a time.
std::deque<std::function<void(std::function<void()>)>> changes;
bool changing = false;
thread_local std::shared_ptr<Loan> current;

void runIdleWork() {
  while (suspended == 0) {
    // The loop's own changes first: an instance number the engine reserved meanwhile is
    // on disk before any other transaction can hand out numbers.
    if (!ownChanges.empty()) {
      auto f = std::move(ownChanges.front());
      ownChanges.pop_front();
      f();
      continue;
    }
    if (!idleWork.empty()) {
      auto f = std::move(idleWork.front());
      idleWork.pop_front();
      f();
      continue;
    }
    if (changing || changes.empty()) return;
    auto change = std::move(changes.front());
    changes.pop_front();
    changing = true;
    change([] {
      changing = false;
      runIdleWork();
    });
  }
}

// On the loop: hands the model to the worker and waits for it back.
void lend(const std::shared_ptr<Loan>& loan) {
  {
    std::unique_lock<std::mutex> lock(loan->mutex);
    loan->workerHolds = true;
    loan->cv.notify_all();
    loan->cv.wait(lock, [&] { return !loan->workerHolds; });
  }
  runIdleWork();
}

void awaitModel(Loan& loan) {
  std::unique_lock<std::mutex> lock(loan.mutex);
  loan.cv.wait(lock, [&] { return loan.workerHolds; });
}

void giveBack(Loan& loan) {
  std::lock_guard<std::mutex> lock(loan.mutex);
  loan.workerHolds = false;
  loan.cv.notify_all();
}

}  // namespace

void ModelLoan::runLent(boost::asio::io_context& io, const std::function<void()>& work) {
  auto loan = std::make_shared<Loan>(io);
  boost::asio::post(io, [loan] { lend(loan); });
  awaitModel(*loan);
  current = loan;
  work();
  current.reset();
  giveBack(*loan);
}

namespace {

// The threads runAsync() lends the model to: at most kMaxLentWorkers, started when work
// comes and none is free, then kept for the next work. Work beyond them waits its turn,
// in the order it came (callers bound it: DataModel1's changes by the 64-deep queue, its
// reads by D-Bus). A thread is busy while its work waits for a provider, so at most that
// many provider calls of D-Bus work are in flight at once; others wait at most the
// timeout per call ahead of them.
class LentWorkers {
 public:
  static LentWorkers& instance() {
    // Never destroyed: its threads wait on it until the process ends.
    static auto* workers = new LentWorkers;
    return *workers;
  }

  void post(std::function<void()> job) {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(std::move(job));
    if (jobs_.size() > idle_ && threads_ < ModelLoan::kMaxLentWorkers) {
      try {
        std::thread([this] { serve(); }).detach();
        ++threads_;
      } catch (const std::system_error&) {
        // No thread at all to run it: the caller hears it. Else one that is there will.
        if (threads_ == 0) {
          jobs_.pop_back();
          throw;
        }
      }
    }
    cv_.notify_one();
  }

 private:
  void serve() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      ++idle_;
      cv_.wait(lock, [this] { return !jobs_.empty(); });
      --idle_;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      job = nullptr;  // its captures go before the thread waits again
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::size_t threads_ = 0;
  std::size_t idle_ = 0;
};

}  // namespace

void ModelLoan::runAsync(boost::asio::io_context& io, std::function<void()> work,
                         std::function<void()> done) {
  // `done` is posted while the worker still holds the model, so the loop (and `io`) is
  // certainly there to take it.
  LentWorkers::instance().post([&io, work = std::move(work), done = std::move(done)]() mutable {
    runLent(io, [&] {
      work();
      boost::asio::post(io, std::move(done));
    });
  });
}

bool ModelLoan::lent() noexcept { return current != nullptr; }

void ModelLoan::suspend(const std::function<void(std::function<void()> resume)>& start) {
  std::shared_ptr<Loan> loan = current;
  if (!loan) throw std::logic_error("ModelLoan::suspend() outside runLent()");
  start([loan] {
    boost::asio::post(loan->io, [loan] {
      --suspended;
      lend(loan);
    });
  });
  ++suspended;
  giveBack(*loan);
  awaitModel(*loan);
}

void ModelLoan::awaitTurn() {
  std::shared_ptr<Loan> loan = current;
  if (!loan) throw std::logic_error("ModelLoan::awaitTurn() outside runLent()");
  if (suspended == 0) return;
  // Not counted as suspended: runIdleWork() lends the model back to this thread as soon
  // as the suspended work is done, and nothing else holds the model while it runs.
  idleWork.emplace_back([loan] { lend(loan); });
  giveBack(*loan);
  awaitModel(*loan);
}

bool ModelLoan::busy() noexcept { return suspended > 0; }

void ModelLoan::whenIdle(std::function<void()> f) {
  if (suspended == 0) {
    f();
    return;
  }
  idleWork.push_back(std::move(f));
}

bool ModelLoan::queueChange(std::function<void(std::function<void()> finished)> change) {
  if (changes.size() >= kMaxQueuedChanges) return false;
  changes.push_back(std::move(change));
  runIdleWork();
  return true;
}

void ModelLoan::queueOwnChange(std::function<void()> change) {
  if (suspended == 0 && ownChanges.empty()) {
    change();
    return;
  }
  ownChanges.push_back(std::move(change));
}

RemoteSubtrees::MountId Engine::mount(const std::string& name, std::string_view definitions,
                                      std::shared_ptr<RemoteParticipant> participant) {
  auto& m = *impl_;
  if (!m.finalized) throw std::logic_error("mount() before finalize()");
  // New definitions would reshape the tree under the suspended work.
  if (ModelLoan::lent())
    ModelLoan::awaitTurn();
  else if (ModelLoan::busy())
    throw Fault(FaultCode::RequestDenied,
                "Request denied: busy (an RPC waits for a provider); register again");
  std::vector<model::ParsedModel> models;
  try {
    models = model::parseDocument(definitions, m.tree.root());
  } catch (const std::exception& e) {
    throw Fault(FaultCode::InvalidArguments, std::string("invalid definitions: ") + e.what());
  }
  // A provider adds whole objects: it may name an existing object only as the place it
  // mounts under, with no parameters there but the NumberOfEntries of its own tables, so
  // it can never claim the core's or a plugin's names, nor change the shape of objects
  // that already have instances. Nor may it add anything under the agent's own objects
  // (ManagementServer and the like): their subtrees are the agent's to define.
  std::set<std::string> counts;  // "Device.X_Lines" for Device.X_Lines.{i}.
  for (const auto& md : models)
    for (const auto& o : md.objects)
      if (o.multi && !o.numEntriesParameter.empty())
        counts.insert(o.pattern.substr(0, o.pattern.rfind('.', o.pattern.size() - 6) + 1) +
                      o.numEntriesParameter);
  bool adds = false;
  for (const auto& md : models)
    for (const auto& o : md.objects) {
      if (const ObjectDef* d = m.tree.findDef(o.pattern)) {
        const bool onlyCounts = std::all_of(o.params.begin(), o.params.end(), [&](const auto& p) {
          return counts.count(o.pattern + p.name) && !d->findParam(p.name);
        });
        if (!onlyCounts || o.multi || d->multi)
          throw Fault(
              FaultCode::RequestDenied,
              "Request denied: " + o.pattern + " is already served by " + m.pluginName(d->plugin));
        continue;
      }
      for (const ObjectDef* a = nearestExisting(m.tree, o.pattern); a && a->parent; a = a->parent)
        if (agentsOwn(*a, m.tree.root()))
          throw Fault(FaultCode::RequestDenied, "Request denied: " + o.pattern + " is under " +
                                                    a->pattern + ", which the agent serves itself");
      adds = true;
    }
  if (!adds)
    throw Fault(FaultCode::InvalidArguments,
                "invalid definitions: nothing new under " + m.tree.root() + ".");
  const int id = m.tree.addPlugin(name);
  try {
    m.tree.merge(models, id);
  } catch (const std::exception& e) {
    m.tree.removeDefinitionsOf(id);
    throw Fault(FaultCode::RequestDenied, std::string("Request denied: ") + e.what());
  }
  // The NumberOfEntries of a table mounted under an object of another owner (the root,
  // Services.) belongs to the provider: it goes when the provider goes.
  std::vector<std::pair<ObjectDef*, std::string>> newCounts;
  for (const auto& [pattern, d] : m.tree.defs())
    if (d->plugin == id && d->multi && !d->numEntriesParameter.empty() && d->parent->plugin != id &&
        !d->parent->findParam(d->numEntriesParameter))
      newCounts.emplace_back(d->parent, d->numEntriesParameter);
  m.tree.bindBuiltins();
  for (auto& [parent, count] : newCounts)
    if (ParamDef* p = parent->findParam(count)) p->plugin = id;

  Impl* self = &m;
  auto nodeOf = [self](const std::string& path) -> Node& {
    Location loc = self->resolver.resolve(path);
    if (!loc.node) throw Fault(FaultCode::InternalError, "no instance " + path);
    return *loc.node;
  };
  auto toProvider = [nodeOf, id](const std::vector<sdk::Change>& changes) {
    NameValues out;
    out.reserve(changes.size());
    for (const auto& c : changes)
      out.emplace_back(providerPath(nodeOf(c.object), id) + c.parameter, c.value);
    return out;
  };
  for (const auto& [pattern, d] : m.tree.defs()) {
    if (d->plugin != id) continue;
    for (auto& p : d->params) {
      if (p->plugin != id || p->builtin) continue;
      p->remote = true;
      p->getter = [nodeOf, participant, id, param = p->name](const sdk::InstanceRef& r) {
        const std::string want = providerPath(nodeOf(r.path), id) + param;
        for (auto& [n, v] : participant->get({want}))
          if (n == want) return v;
        throw Fault(FaultCode::InternalError, "the provider did not give " + want);
      };
    }
    d->bindingPlugin = id;
    d->binding.validate = [participant, toProvider](const std::vector<sdk::Change>& c) {
      participant->validate(toProvider(c));
    };
    d->binding.apply = [participant, toProvider](const std::vector<sdk::Change>& c) {
      try {
        participant->apply(toProvider(c));
      } catch (const Fault& f) {
        // 9002: no answer in time (or the provider's own trouble). The transaction rolls
        // back the others; this one may apply late, so it is told to return as well.
        if (f.code() != static_cast<int>(FaultCode::InternalError)) throw;
        std::vector<sdk::Change> undo = c;
        for (auto& u : undo) std::swap(u.value, u.oldValue);
        try {
          participant->restore(toProvider(undo));
        } catch (const Fault& e) {
          CWMPD_LOG(Warning, kModelLog, "cannot tell a provider to undo: " << e.what());
        }
        throw;
      }
    };
    d->binding.rollback = [participant, toProvider](const std::vector<sdk::Change>& c) {
      participant->rollback(toProvider(c));
    };
    if (!d->multi) continue;
    ObjectDef* def = d.get();
    d->binding.onAdd = [self, nodeOf, participant, id, def](const sdk::InstanceRef& r) {
      Node& row = nodeOf(r.path);
      const std::uint32_t key = participant->add(providerPath(*row.parent, id) + def->name + ".");
      row.key = std::to_string(key);
      self->stored.setKeyedNumber(row.parent->path + def->name + ".", row.key, row.number);
    };
    d->binding.onDelete = [nodeOf, participant, id](const sdk::InstanceRef& r) {
      participant->remove(providerPath(nodeOf(r.path), id));
    };
  }
  m.tree.reconcile(m.stored);
  m.mounts[id] = participant;

  // The provider's instances, outer tables first (a parent's pattern sorts before its
  // children's).
  try {
    for (const auto& [pattern, d] : m.tree.defs()) {
      if (d->plugin != id || !d->multi) continue;
      ObjectDef* def = d.get();  // a structured binding cannot be captured (C++17)
      ObjectDef* parentDef = def->parent;
      const std::size_t kid = static_cast<std::size_t>(
          std::find(parentDef->children.begin(), parentDef->children.end(), def) -
          parentDef->children.begin());
      forEachNodeOf(*m.tree.rootNode(), parentDef, [&](Node& parent) {
        const std::string table = parent.path + def->name + ".";
        for (std::uint32_t k : participant->instances(providerPath(parent, id) + def->name + ".")) {
          const std::string key = std::to_string(k);
          std::uint32_t number = m.stored.keyedNumber(table, key);
          if (!number || parent.kids[kid].rows.count(number)) {
            number = m.stored.nextNumber(table);
            m.stored.setKeyedNumber(table, key, number);
          }
          m.tree.createRow(&parent, kid, number, key, m.stored);
        }
      });
    }
  } catch (const Fault&) {
    m.commitOwnState();
    unmount(id);
    throw;
  }
  m.commitOwnState();
  CWMPD_LOG(Info, kModelLog, "mounted the subtree of " << name);
  return id;
}

void Engine::unmount(MountId id) noexcept {
  auto& m = *impl_;
  auto it = m.mounts.find(id);
  if (it == m.mounts.end()) return;
  try {
    // The suspended work may be inside this very subtree (its getter, its binding).
    if (ModelLoan::busy()) {
      ModelLoan::whenIdle([this, id] { unmount(id); });
      return;
    }
    m.tree.dropInstancesOf(id);
    m.tree.removeDefinitionsOf(id);
    m.tree.reconcile(m.stored);
    m.tree.bindBuiltins();
    CWMPD_LOG(Info, kModelLog, "unmounted the subtree of " << m.pluginName(id));
  } catch (const std::exception& e) {
    CWMPD_LOG(Error, kModelLog, "unmounting " << m.pluginName(id) << " failed: " << e.what());
  }
  m.mounts.erase(it);
}

void Engine::remoteValuesChanged(MountId id, const std::vector<std::string>& names) {
  auto& m = *impl_;
  if (!m.mounts.count(id)) return;
  for (const auto& n : names) {
    const std::string path = corePath(m.tree, n, id);
    if (path.empty()) continue;
    try {
      pluginValueChanged(path);
    } catch (const Fault& f) {
      CWMPD_LOG(Warning, kModelLog, "cannot read " << path << " after its change: " << f.what());
    }
  }
}

}  // namespace cwmpd::core
