// Config sections: struct field <-> option name, help text and unit.
#include "cli/sections.h"

#include "core/build_info.h"

namespace lb::cli {

std::string default_motifs_file() {
  return std::string(build::kSourceDir) + "/configs/motifs/tal1_gata1.meme";
}

void add_sim_options(OptionSet& o, sim::SimConfig& c) {
  if (c.motifs_file.empty()) c.motifs_file = default_motifs_file();
  o.add_path("sim", "scenario", &c.scenario,
             "scenario file (docs/scenarios.md); empty: the paper's scenario from the keys below", true);
  o.add("sim", "n_seqs", &c.n_seqs, "number of sequences");
  o.add("sim", "seq_len", &c.seq_len, "sequence length (bases)");
  o.add("sim", "background", &c.background, "background probabilities of A,C,G,T (sum 1)");
  o.add("sim", "class_fractions", &c.class_fractions,
        "fractions of the classes empty,gata_only,tal_only,both (sum 1; counts by largest remainder)");
  o.add_path("sim", "motifs", &c.motifs_file,
             "motif file, by extension: MEME (.meme, .txt), JASPAR (.jaspar, .pfm) or HOMER (.motif, .motifs) "
             "(relative paths: to the config file's directory)");
  o.add("sim", "gata_motif", &c.gata_motif, "name of the GATA1 motif in the motif file");
  o.add("sim", "tal_motif", &c.tal_motif, "name of the TAL1 motif in the motif file");
  o.add("sim", "mean_single", &c.mean_single, "Poisson mean of the motif count in gata_only/tal_only sequences");
  o.add("sim", "mean_both", &c.mean_both, "Poisson mean of each motif's count in sequences with both");
  o.add("sim", "count_min", &c.count_min, "smallest motif count (Poisson redrawn until in [count_min, count_max])");
  o.add("sim", "count_max", &c.count_max, "largest motif count");
  o.add("sim", "max_count_draws", &c.max_count_draws, "Poisson redraws allowed before giving up");
  o.add("sim", "pseudocount", &c.pseudocount, "PWM smoothing c: p' = p(1-c) + c/4");
  o.add("sim", "revcomp_prob", &c.revcomp_prob, "probability of planting an instance reverse-complemented");
  o.add("sim", "split", &c.split, "train,valid,test fractions (stratified by class; sum 1)");
  o.add("sim", "seed", &c.seed, "random seed of the whole simulation");
  o.add("sim", "max_placement_attempts", &c.max_placement_attempts,
        "start redraws per motif instance before an impossible placement is reported");
}

void add_model_options(OptionSet& o, model::ModelConfig& c) {
  o.add("model", "layers", &c.layers,
        "layers in order, separated by spaces: [name=]kind(args) with kinds conv1d(out,kernel[,stride]), "
        "conv2d(out,kh,kw[,sh,sw]), dense(out), relu, gap, flatten, dropout(p)");
  o.add("model", "output", &c.output, "sigmoid (multi-task binary cross-entropy) or softmax (cross-entropy)");
  o.add("model", "init", &c.init,
        "weight initialisation: pytorch (PyTorch's defaults), glorot_uniform (Keras', the paper's framework) or he_uniform");
  o.add("model", "init_seed", &c.init_seed, "seed of the weight initialisation");
}

void add_train_options(OptionSet& o, model::TrainConfig& c) {
  o.add("train", "learning_rate", &c.adam.learning_rate, "Adam learning rate");
  o.add("train", "beta1", &c.adam.beta1, "Adam decay of the first moment, in [0, 1)");
  o.add("train", "beta2", &c.adam.beta2, "Adam decay of the second moment, in [0, 1)");
  o.add("train", "epsilon", &c.adam.epsilon, "Adam epsilon added to the denominator");
  o.add("train", "batch_size", &c.batch_size, "samples per mini-batch (the last batch of an epoch may be smaller)");
  o.add("train", "max_epochs", &c.max_epochs, "largest number of epochs");
  o.add("train", "patience", &c.patience, "early stopping: epochs without a lower validation loss before stopping");
  o.add("train", "seed", &c.seed, "seed of the batch order and dropout masks");
  o.add("train", "chunk", &c.chunk,
        "samples per parallel work item; part of the result's definition (results do not depend on --threads)");
}

void add_attribution_options(OptionSet& o, attr::AttributionConfig& c) {
  o.add("attribution", "methods", &c.methods,
        "comma-separated methods, each one of " + attr::method_kind_list() +
            " (deeplift rules: rescale, revealcancel, genomics, or layer=rule;... e.g. deeplift:conv1=rs;fc1=rc, "
            "or layer groups [first_conv], [later_conv], [conv], [dense]); modifiers +gc (gradient correction) and "
            "+rcavg (reverse-complement averaging); optional @zeros|@background|@shuffle|@dinuc_shuffle overrides "
            "attribution.reference for one method");
  o.add("attribution", "reference", &c.reference,
        "reference of every method without its own @reference: zeros, background, shuffle or dinuc_shuffle");
  o.add("attribution", "background", &c.background, "per-position A,C,G,T frequencies of the background reference");
  o.add("attribution", "n_shuffles", &c.n_shuffles,
        "references per sequence for shuffle and dinuc_shuffle (results averaged over them: Multiref-n)");
  o.add("attribution", "deeplift_compatible_shuffle", &c.deeplift_compatible_shuffle,
        "dinuc_shuffle keeps each base's last exit edge, as deeplift's and tangermeme's (not uniform)");
  o.add("attribution", "seed", &c.seed, "seed of the shuffled references and SmoothGrad noise (sequence i draws from stream i)");
  o.add("attribution", "ig_steps", &c.ig_steps, "integrated gradients: quadrature nodes on the path");
  o.add("attribution", "ig_rule", &c.ig_rule, "integrated gradients quadrature: midpoint, trapezoid or gauss_legendre");
  o.add("attribution", "near_zero", &c.near_zero,
        "DeepLIFT: |delta x| (or a RevealCancel part) below which the ratio's limit is used (docs/attribution.md)");
  o.add("attribution", "delta_warn", &c.delta_warn,
        "DeepLIFT summation-to-delta error, relative to max(|delta logit|, 1), above which a warning is logged");
  o.add("attribution", "weight_normalize", &c.weight_normalize,
        "normalise the first layer's weights over the 4 bases before attributing (appendix K)");
  o.add("attribution", "mean_normalize", &c.mean_normalize,
        "softmax models: centre the logits over classes before attributing");
  o.add("attribution", "smoothgrad_samples", &c.smoothgrad_samples, "SmoothGrad: noisy copies per sequence");
  o.add("attribution", "smoothgrad_noise", &c.smoothgrad_noise,
        "SmoothGrad: noise sigma as a fraction of each sequence's input range (max - min)");
  o.add("attribution", "gradient_correction", &c.gradient_correction,
        "every method (but ism) as if written with +gc: subtract the per-position mean over A,C,G,T");
  o.add("attribution", "revcomp_average", &c.revcomp_average,
        "every method as if written with +rcavg: average with the reverse complement's map");
  o.add("attribution", "tasks", &c.tasks, "output tasks to attribute: all, or increasing indices such as 0,2");
  o.add("attribution", "references_file", &c.references_file,
        "an .npy of shape (N, K, 4, L), one-hot or real: the K references of each sequence, used by every method "
        "with a reference instead of its own and averaged over K");
  o.add("attribution", "targets", &c.targets,
        "what to explain instead of tasks: HEAD[i], sum(...), diff(a,b), window(HEAD,start,end), counts(HEAD), "
        "profile(HEAD), profile_detached(HEAD), separated by spaces (docs/attribution.md, Targets)");
  o.add("attribution", "store_references", &c.store_references,
        "also write <method>.references (N, K, 4, L), the references each method used");
  o.add("attribution", "chunk", &c.chunk,
        "sequences per parallel work item; part of the result's definition (results do not depend on --threads)");
}

void add_eval_options(OptionSet& o, eval::EvalConfig& c) {
  o.add("eval", "background", &c.background, "A,C,G,T probabilities of the motif scan's background (sum 1)");
  o.add("eval", "pseudocount", &c.pseudocount, "PWM smoothing c of the scan: p' = p(1-c) + c/4, in [0, 1)");
  o.add("eval", "strands", &c.strands, "strands scanned: forward, or both (the better strand of each window)");
  o.add("eval", "top_hits", &c.top_hits, "hits kept per sequence and motif (greedy, excluding w/2 around each pick)");
  o.add("eval", "log_odds_threshold", &c.log_odds_threshold,
        "log-odds (natural log) from which a hit is strong: fn_rate and fp_rate count strong hits only");
  o.add("eval", "scan_mode", &c.scan_mode,
        "top-hit selection: exclusive, or deeplift_compatible (the authors' quirk: a pick within w/2 of the start "
        "excludes nothing, so it can be picked again)");
  o.add("eval", "bootstrap_resamples", &c.bootstrap_resamples,
        "role metrics (role_metrics.tsv, method_differences.tsv) and xai_metrics: bootstrap resamples over sequences");
  o.add("eval", "bootstrap_seed", &c.bootstrap_seed, "seed of the bootstrap (resample r draws from stream r)");
  o.add("eval", "discover_methods", &c.discover_methods,
        "liftbench run: methods (of attribution.methods, with hypothetical scores) whose motifs are discovered per "
        "task and scored against the planted drivers (discovery.tsv); empty: no discovery step");
  o.add("eval", "xai_metrics", &c.xai_metrics,
        "metrics without a planted truth computed per method and task into metrics.tsv (comma-separated; "
        "docs/metrics.md): sparseness, entropy, and with evaluate --model deletion_aopc, insertion_auc, "
        "faithfulness_corr (opt-in: ism_pearson, ism_spearman, ism_sign_agreement), then random_target_spearman; "
        "empty: none");
  o.add("eval", "perturbation_reference", &c.perturbation_reference,
        "faithfulness: what replaces a position, background (eval.background's expectation) or dinuc_shuffle "
        "(the base of a dinucleotide shuffle of the sequence)");
  o.add("eval", "perturbation_sequences", &c.perturbation_sequences,
        "faithfulness: scored sequences perturbed, evenly spread (0 = all)");
  o.add("eval", "perturbation_fraction", &c.perturbation_fraction,
        "deletion/insertion: the largest number of positions replaced, as a fraction of the length, in (0, 1]");
  o.add("eval", "perturbation_steps", &c.perturbation_steps, "deletion/insertion: points of the curve's grid besides k = 0");
  o.add("eval", "faithfulness_subsets", &c.faithfulness_subsets,
        "faithfulness_corr: random position subsets per sequence (>= 2)");
  o.add("eval", "faithfulness_subset_fraction", &c.faithfulness_subset_fraction,
        "faithfulness_corr: positions of a subset, as a fraction of the length, in (0, 1]");
  o.add("eval", "perturbation_seed", &c.perturbation_seed,
        "faithfulness: seed of the shuffles and subsets (sequence i draws from stream i)");
}

void add_sanity_options(OptionSet& o, eval::SanityConfig& c) {
  o.add("sanity", "seed", &c.seed, "seed of the random re-initialisation of the model's layers (model.init's scheme)");
  o.add("sanity", "in_run", &c.in_run,
        "liftbench run also runs the sanity check (after evaluate; sanity.tsv in the run directory)");
  o.add("sanity", "threshold", &c.threshold,
        "a method passes when its mean |Spearman rho| with the original maps at full randomisation is below this");
}

void add_all_options(OptionSet& o, RunConfig& c) {
  add_sim_options(o, c.sim);
  add_model_options(o, c.model);
  add_train_options(o, c.train);
  add_attribution_options(o, c.attribution);
  add_eval_options(o, c.eval);
  add_sanity_options(o, c.sanity);
}

}  // namespace lb::cli
