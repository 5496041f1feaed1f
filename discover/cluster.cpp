// Leiden through igraph's C library. igraph reports errors through a handler that aborts by
// default; it is replaced (for the duration of the call) by one that only records the error,
// which is then thrown as lb::Error. igraph is not thread-safe (Debian builds it without
// IGRAPH_THREAD_SAFE), so with two or more threads the runs are split between this process and
// one forked child, which has its own copy of igraph's globals.
#include "discover/cluster.h"

#include <igraph.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "core/error.h"
#include "core/parallel.h"

namespace lb::discover {

namespace {

std::mutex g_igraph_mutex;  // igraph's RNG and error handler are global

void check(igraph_error_t rc, const char* what) {
  if (rc != IGRAPH_SUCCESS) throw Error(fmt::format("igraph {} failed: {}", what, igraph_strerror(rc)));
}

// Owners of igraph objects, destroyed on every path.
struct Graph {
  igraph_t g;
  explicit Graph(const igraph_vector_int_t* edges, igraph_integer_t n) {
    check(igraph_create(&g, edges, n, IGRAPH_UNDIRECTED), "create");
  }
  ~Graph() { igraph_destroy(&g); }
};
struct IntVec {
  igraph_vector_int_t v;
  explicit IntVec(igraph_integer_t n) { check(igraph_vector_int_init(&v, n), "vector"); }
  ~IntVec() { igraph_vector_int_destroy(&v); }
};
struct RealVec {
  igraph_vector_t v;
  explicit RealVec(igraph_integer_t n) { check(igraph_vector_init(&v, n), "vector"); }
  ~RealVec() { igraph_vector_destroy(&v); }
};

}  // namespace

Clustering leiden(const WeightedGraph& g, double resolution, int runs, std::uint64_t seed) {
  LB_CHECK(g.edges.size() == g.weights.size(), "edges {} weights {}", g.edges.size(), g.weights.size());
  LB_CHECK(runs >= 1, "runs {}", runs);
  Clustering out;
  out.membership.assign(static_cast<std::size_t>(g.n), 0);
  if (g.n == 0) return out;
  double m = 0;
  std::vector<double> strength(static_cast<std::size_t>(g.n), 0.0);
  for (std::size_t e = 0; e < g.edges.size(); ++e) {
    m += g.weights[e];
    strength[static_cast<std::size_t>(g.edges[e].first)] += g.weights[e];
    strength[static_cast<std::size_t>(g.edges[e].second)] += g.weights[e];
  }
  if (g.edges.empty() || !(m > 0)) {
    for (int i = 0; i < g.n; ++i) out.membership[static_cast<std::size_t>(i)] = i;
    out.n_clusters = g.n;
    return out;
  }

  const std::lock_guard<std::mutex> lock(g_igraph_mutex);
  igraph_error_handler_t* previous = igraph_set_error_handler(igraph_error_handler_ignore);
  struct Restore {
    igraph_error_handler_t* h;
    ~Restore() { igraph_set_error_handler(h); }
  } restore{previous};

  IntVec edges(static_cast<igraph_integer_t>(2 * g.edges.size()));
  for (std::size_t e = 0; e < g.edges.size(); ++e) {
    VECTOR(edges.v)[2 * e] = g.edges[e].first;
    VECTOR(edges.v)[2 * e + 1] = g.edges[e].second;
  }
  Graph graph(&edges.v, g.n);
  RealVec w(static_cast<igraph_integer_t>(g.edges.size())), nw(g.n);
  for (std::size_t e = 0; e < g.edges.size(); ++e) VECTOR(w.v)[e] = g.weights[e];
  for (std::size_t i = 0; i < strength.size(); ++i) VECTOR(nw.v)[i] = strength[i];
  // Runs [r0, r1) into `best`: the first run of the highest quality among them.
  auto run_range = [&](int r0, int r1, Clustering& best) {
    IntVec membership(g.n);
    bool have = false;
    for (int r = r0; r < r1; ++r) {
      check(igraph_rng_seed(igraph_rng_default(), static_cast<igraph_uint_t>(seed + static_cast<std::uint64_t>(r))),
            "rng_seed");
      igraph_integer_t nb = 0;
      igraph_real_t quality = 0;
      check(igraph_community_leiden(&graph.g, &w.v, &nw.v, resolution / (2 * m), 0.01, false, -1, &membership.v,
                                    &nb, &quality),
            "community_leiden");
      if (have && !(quality > best.quality)) continue;
      have = true;
      best.quality = quality;
      best.best_run = r;
      // Renumber by lowest node so the labels do not depend on igraph's numbering.
      std::vector<int> label(static_cast<std::size_t>(nb), -1);
      int next = 0;
      for (int i = 0; i < g.n; ++i) {
        auto& l = label[static_cast<std::size_t>(VECTOR(membership.v)[i])];
        if (l < 0) l = next++;
        best.membership[static_cast<std::size_t>(i)] = l;
      }
      best.n_clusters = next;
    }
  };
  const int split = runs >= 2 && lb::threads() >= 2 ? runs / 2 : runs;
  if (split == runs) {
    run_range(0, runs, out);
    return out;
  }
  // The later runs in a forked child, which sends back its best: quality, run, clusters and
  // the membership, through a pipe; the earlier ones here. The child's best replaces ours only
  // when strictly better, so the kept run is the same as in one process.
  int fd[2];
  if (pipe(fd) != 0) throw Error(fmt::format("Leiden: pipe failed: {}", std::strerror(errno)));
  const pid_t pid = fork();
  if (pid < 0) {
    close(fd[0]);
    close(fd[1]);
    throw Error(fmt::format("Leiden: fork failed: {}", std::strerror(errno)));
  }
  if (pid == 0) {  // the child: no exceptions, no OpenMP, no exit handlers
    close(fd[0]);
    int status = 0;
    try {
      Clustering c;
      c.membership.assign(static_cast<std::size_t>(g.n), 0);
      run_range(split, runs, c);
      std::string msg(sizeof(double) + 2 * sizeof(int) + c.membership.size() * sizeof(int), '\0');
      char* p = msg.data();
      std::memcpy(p, &c.quality, sizeof(double));
      std::memcpy(p + sizeof(double), &c.best_run, sizeof(int));
      std::memcpy(p + sizeof(double) + sizeof(int), &c.n_clusters, sizeof(int));
      std::memcpy(p + sizeof(double) + 2 * sizeof(int), c.membership.data(), c.membership.size() * sizeof(int));
      for (std::size_t done = 0; done < msg.size();) {
        const ssize_t k = write(fd[1], msg.data() + done, msg.size() - done);
        if (k <= 0 && errno != EINTR) {
          status = 2;
          break;
        }
        if (k > 0) done += static_cast<std::size_t>(k);
      }
    } catch (...) {
      status = 1;
    }
    close(fd[1]);
    _exit(status);
  }
  close(fd[1]);
  std::string msg;
  std::exception_ptr failed;
  try {
    run_range(0, split, out);
  } catch (...) {
    failed = std::current_exception();
  }
  char buf[65536];
  for (;;) {  // read all the child sends (also after our own failure, so that it can finish)
    const ssize_t k = read(fd[0], buf, sizeof buf);
    if (k > 0)
      msg.append(buf, static_cast<std::size_t>(k));
    else if (k == 0 || errno != EINTR)
      break;
  }
  close(fd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (failed) std::rethrow_exception(failed);
  const std::size_t expected = sizeof(double) + 2 * sizeof(int) + static_cast<std::size_t>(g.n) * sizeof(int);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || msg.size() != expected)
    throw Error(fmt::format("Leiden: the process running runs {} to {} failed (exit status {}, {} of {} bytes)", split,
                            runs - 1, WIFEXITED(status) ? WEXITSTATUS(status) : -1, msg.size(), expected));
  double quality = 0;
  std::memcpy(&quality, msg.data(), sizeof(double));
  if (quality > out.quality) {
    out.quality = quality;
    std::memcpy(&out.best_run, msg.data() + sizeof(double), sizeof(int));
    std::memcpy(&out.n_clusters, msg.data() + sizeof(double) + sizeof(int), sizeof(int));
    std::memcpy(out.membership.data(), msg.data() + sizeof(double) + 2 * sizeof(int),
                static_cast<std::size_t>(g.n) * sizeof(int));
  }
  return out;
}

}  // namespace lb::discover
