// The definitions (objects and parameters by pattern, merged from the plugins'
// documents) and the instance tree built from them. Every role of the engine works on
// it: registration merges into it, the resolver walks it, the attribute table, the
// transaction and the vendor configuration file read it. It knows nothing of the store
// except through Persistence (the stored value of a new instance's parameters).
//
// Threading: main loop only (or the thread the model is lent to), except that the shape
// (nodes, rows and definitions) may be read on one other thread under Tree::ReadingShape.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "model/definitions.hpp"

namespace cwmpd::core::model {

class Persistence;

struct Node;
// The children of one instance for one child object definition: a single object, or
// the rows of a table by instance number.
struct Kid {
  std::unique_ptr<Node> single;
  std::map<std::uint32_t, std::unique_ptr<Node>> rows;
};

struct Node {
  ObjectDef* def = nullptr;
  Node* parent = nullptr;
  std::uint32_t number = 0;
  std::string key;
  std::string path;  // "Device.WiFi.SSID.2."
  std::vector<std::string> values;
  std::vector<Kid> kids;  // parallel to def->children
};

// What a path names in the tree.
struct Location {
  enum Kind { None, Object, Table, Param } kind = None;
  Node* node = nullptr;
  std::size_t kid = 0;  // for Table: index into node->kids
  ParamDef* param = nullptr;
};

class Tree {
 public:
  explicit Tree(std::string root);

  // ---- the shape read from another thread (issue 15) ----
  // The parse thread of a large request resolves its names ahead (DataModel::NameAhead)
  // while the model's thread answers the names before them. Every change of the shape
  // (a node made or erased, definitions merged or removed) holds the shape lock
  // exclusively and counts one generation more: the mutators of this class do, and
  // whoever erases a row itself holds a Reshaping. The other thread reads the shape only
  // while it holds the lock shared (ReadingShape), and what it found is used on the
  // model's thread only while the generation is still the one it read: the tree then
  // has the shape it had. One lock and count for every tree: a change in another
  // tree only makes a name be resolved again. Nodes' values are never read there.
  struct Reshaping {
    Reshaping();
    std::unique_lock<std::shared_mutex> lock;
  };
  struct ReadingShape {
    ReadingShape();
    std::shared_lock<std::shared_mutex> lock;
  };
  // The shape's generation (on the model's thread, or under ReadingShape).
  [[nodiscard]] static std::uint32_t generation();

  [[nodiscard]] const std::string& root() const { return root_; }

  // ---- definitions ----
  [[nodiscard]] ObjectDef* findDef(const std::string& pattern) const;
  // The definition of a parameter path ("Device.WiFi.SSID.2.SSID"), instance numbers
  // taken as "{i}"; null when none.
  [[nodiscard]] ParamDef* paramDefOf(const std::string& path) const;
  // The definition pattern of an instance path: "Device.WiFi.SSID.2.SSID" ->
  // "Device.WiFi.SSID.{i}.SSID" (objects keep their trailing dot). With `instances`, also
  // the instance prefixes the path goes through ("Device.WiFi.SSID.2."), outermost first.
  [[nodiscard]] static std::string patternOf(const std::string& path,
                                             std::vector<std::string>* instances = nullptr);
  // Merges parsed documents of plugin `plugin` (-1: the core). Throws on a clash.
  void merge(const std::vector<ParsedModel>& models, int plugin);
  // Backs out everything plugin `plugin` defined and bound.
  void removeDefinitionsOf(int plugin);
  // Binds the core-counted NumberOfEntries parameters and numbers the value slots.
  void bindBuiltins();
  [[nodiscard]] const std::map<std::string, std::unique_ptr<ObjectDef>>& defs() const {
    return defs_;
  }

  // ---- plugins by id ----
  int addPlugin(const std::string& name);
  [[nodiscard]] const std::string& pluginName(int id) const;

  // ---- instances ----
  // Builds the root instance (after bindBuiltins()), values from `stored`.
  void build(Persistence& stored);
  [[nodiscard]] Node* rootNode() const { return rootNode_.get(); }
  // Creates the row `number` (free) of table `kid` of `parent`.
  Node* createRow(Node* parent, std::size_t kid, std::uint32_t number, const std::string& key,
                  Persistence& stored);
  // Removes a row and everything under it.
  static void eraseRow(Node& row);
  // Run-time (un)mounting of a provider's subtree (core/include/cwmpd/core/remote_subtree.hpp):
  // dropInstancesOf() removes every instance of the objects `plugin` introduced (before
  // removeDefinitionsOf()); reconcile() then makes every node follow its definition again
  // (children realigned, single objects of new definitions built). Definitions only
  // gain or lose whole objects there, never parameters of an existing object.
  void dropInstancesOf(int plugin);
  void reconcile(Persistence& stored);
  [[nodiscard]] sdk::InstanceRef ref(const Node& n) const;
  // ref(n) into `r`, whose strings and vector keep their memory (a walk makes one per object).
  void refInto(const Node& n, sdk::InstanceRef& r) const;
  [[nodiscard]] static std::string tablePath(const Location& loc) {
    return loc.node->path + loc.node->def->children[loc.kid]->name + ".";
  }

  // Visits every parameter under `n` (depth first, definition order).
  template <typename F>
  static void forEachParam(Node& n, F&& f) {
    for (const auto& p : n.def->params) f(n, *p);
    for (auto& kid : n.kids) {
      if (kid.single) forEachParam(*kid.single, f);
      for (auto& [num, row] : kid.rows) forEachParam(*row, f);
    }
  }
  template <typename F>
  static void forEachParamAt(const Location& loc, F&& f) {
    switch (loc.kind) {
      case Location::Param: f(*loc.node, *loc.param); break;
      case Location::Object: forEachParam(*loc.node, f); break;
      case Location::Table:
        for (auto& [num, row] : loc.node->kids[loc.kid].rows) forEachParam(*row, f);
        break;
      case Location::None: break;
    }
  }

 private:
  ObjectDef* ensureDef(const std::string& pattern, int plugin);
  void reconcileNode(Node& n, Persistence& stored);
  std::unique_ptr<Node> makeNode(ObjectDef* def, Node* parent, std::uint32_t number,
                                 std::string path, Persistence& stored);

  std::string root_;
  std::map<std::string, std::unique_ptr<ObjectDef>> defs_;  // by pattern
  ObjectDef* rootDef_ = nullptr;
  std::unique_ptr<Node> rootNode_;
  std::vector<std::string> plugins_;  // id -> name
};

}  // namespace cwmpd::core::model
