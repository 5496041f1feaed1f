// Tensor aliases and the shape legend used in every shape comment of the project.
//
// Legend:  N sequences (batch)   L positions (length)   C channels (4 for DNA)
//          F filters             K kernel width          T tasks (outputs)
//
// Layout (docs/developers.md, conventions): activations are (C x N*L) column-major Eigen matrices: channels
// innermost, one column per position, sequence n occupying columns [n*L, (n+1)*L). PyTorch's
// (N, C, L) C-order arrays convert to and from this layout in io/ only.
#pragma once

#include <Eigen/Core>

namespace lb {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;  // column-major
using Vec = Eigen::Matrix<float, Eigen::Dynamic, 1>;
using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;

}  // namespace lb
