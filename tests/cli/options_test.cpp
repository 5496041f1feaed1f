// OptionSet: precedence, typed values, exact error texts with file:line or flag, paths, and
// the resolved INI loading back to the same configuration.
#include "cli/options.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "cli/sections.h"
#include "core/error.h"
#include "testing/helpers.h"

namespace lb::cli {
namespace {

using lb::testing::TempDir;
using lb::testing::write_text;

struct Parsed {
  sim::SimConfig cfg;
  std::string out;
  OptionSet opts{"simulate"};
  Parsed() {
    opts.add_flag("out,o", &out, "output", "DIR");
    add_sim_options(opts, cfg);
    opts.show_sections({"sim"});
  }
  bool parse(std::vector<std::string> args) {
    args.insert(args.begin(), "simulate");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    return opts.parse(static_cast<int>(argv.size()), argv.data());
  }
};

TEST(OptionsTest, DefaultsAreTheStructDefaults) {
  Parsed p;
  ASSERT_TRUE(p.parse({}));
  EXPECT_EQ(p.cfg.n_seqs, 8000);
  EXPECT_EQ(p.cfg.seq_len, 200);
  EXPECT_DOUBLE_EQ(p.cfg.background[0], 0.3);
  EXPECT_EQ(p.cfg.seed, 1u);
}

TEST(OptionsTest, FlagsOverrideFileOverridesDefaults) {
  TempDir tmp;
  write_text(tmp.file("a.ini"), "[sim]\nn_seqs = 100\nseq_len = 50\n");
  Parsed p;
  ASSERT_TRUE(p.parse({"-c", tmp.file("a.ini"), "--sim.n_seqs", "7"}));
  EXPECT_EQ(p.cfg.n_seqs, 7);     // flag
  EXPECT_EQ(p.cfg.seq_len, 50);   // file
  EXPECT_EQ(p.cfg.count_max, 3);  // default
}

TEST(OptionsTest, FlagWithEqualsAndListValue) {
  Parsed p;
  ASSERT_TRUE(p.parse({"--sim.background=0.25,0.25,0.25,0.25", "--sim.seed=99"}));
  EXPECT_DOUBLE_EQ(p.cfg.background[2], 0.25);
  EXPECT_EQ(p.cfg.seed, 99u);
}

TEST(OptionsTest, HelpReturnsFalseAndShowsLiveDefaults) {
  Parsed p;
  p.cfg.n_seqs = 1234;  // help must show the struct's current value, not a copy made elsewhere
  Parsed q;
  EXPECT_FALSE(q.parse({"--help"}));
  const std::string help = q.opts.help();
  EXPECT_NE(help.find("--sim.n_seqs INT (=8000)"), std::string::npos) << help;
  EXPECT_NE(help.find("--sim.background NUM,..(4) (=0.3,0.2,0.2,0.3)"), std::string::npos) << help;
  EXPECT_NE(help.find("[sim]"), std::string::npos);
}

TEST(OptionsTest, UnknownKeyInFileNamesLineAndSuggests) {
  TempDir tmp;
  const std::string ini = tmp.file("bad.ini");
  write_text(ini, "# comment\n[sim]\nn_seq = 10\n");
  Parsed p;
  EXPECT_THROW_MSG(p.parse({"-c", ini}), ConfigError,
                   ini + ":3: unknown key; expected an option of 'liftbench simulate --help', got 'sim.n_seq' "
                         "(did you mean 'sim.n_seqs'?)");
}

TEST(OptionsTest, UnknownFlagSuggests) {
  Parsed p;
  EXPECT_THROW_MSG(p.parse({"--sim.sed", "3"}), ConfigError,
                   "--sim.sed: unknown option; expected an option of 'liftbench simulate', got '--sim.sed' "
                   "(did you mean '--sim.seed'?)");
}

TEST(OptionsTest, BadValueInFileNamesLine) {
  TempDir tmp;
  const std::string ini = tmp.file("bad.ini");
  write_text(ini, "[sim]\nseq_len = 200\nn_seqs = lots\n");
  Parsed p;
  EXPECT_THROW_MSG(p.parse({"-c", ini}), ConfigError,
                   ini + ":3: bad value for 'sim.n_seqs'; expected an integer, got 'lots'");
}

TEST(OptionsTest, BadValueOnCommandLineNamesFlag) {
  Parsed p;
  EXPECT_THROW_MSG(p.parse({"--sim.pseudocount", "1e-3x"}), ConfigError,
                   "--sim.pseudocount: bad value for 'sim.pseudocount'; expected a finite number, got '1e-3x'");
  Parsed q;
  EXPECT_THROW_MSG(q.parse({"--sim.background", "0.5,0.5"}), ConfigError,
                   "--sim.background: bad value for 'sim.background'; expected 4 comma-separated numbers, got '0.5,0.5'");
  Parsed r;
  EXPECT_THROW_MSG(r.parse({"--sim.seed=-4"}), ConfigError,
                   "--sim.seed: bad value for 'sim.seed'; expected a non-negative integer, got '-4'");
}

TEST(OptionsTest, MalformedIniLines) {
  TempDir tmp;
  const std::string ini = tmp.file("bad.ini");
  write_text(ini, "[sim\n");
  Parsed p;
  EXPECT_THROW_MSG(p.parse({"-c", ini}), InputError,
                   ini + ":1: malformed section header; expected '[name]', got '[sim'");
  write_text(ini, "[sim]\nseed 4\n");
  Parsed q;
  EXPECT_THROW_MSG(q.parse({"-c", ini}), InputError,
                   ini + ":2: malformed line; expected 'key = value' or '[section]', got 'seed 4'");
  write_text(ini, "seed = 4\n");
  Parsed r;
  EXPECT_THROW_MSG(r.parse({"-c", ini}), InputError,
                   ini + ":1: key outside a section; expected a '[section]' header first or 'section.key', got 'seed'");
  write_text(ini, "[sim]\nseed = 4\nseed = 5\n");
  Parsed s;
  EXPECT_THROW_MSG(s.parse({"-c", ini}), ConfigError,
                   ini + ":3: duplicate key 'sim.seed'; expected one value, got a second (first on line 2)");
}

TEST(OptionsTest, MissingConfigFileIsAnIoError) {
  Parsed p;
  EXPECT_THROW_MSG(p.parse({"-c", "/nonexistent/x.ini"}), IoError,
                   "/nonexistent/x.ini: cannot open: No such file or directory");
}

TEST(OptionsTest, RelativePathsResolveAgainstTheConfigFile) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.file("sub"));
  write_text(tmp.file("sub/a.ini"), "[sim]\nmotifs = motifs/x.meme\n");
  Parsed p;
  ASSERT_TRUE(p.parse({"-c", tmp.file("sub/a.ini")}));
  EXPECT_EQ(p.cfg.motifs_file, tmp.file("sub/motifs/x.meme"));
  Parsed q;  // from a flag: the working directory
  ASSERT_TRUE(q.parse({"--sim.motifs", "rel.meme"}));
  EXPECT_EQ(q.cfg.motifs_file, (std::filesystem::current_path() / "rel.meme").string());
}

TEST(OptionsTest, ResolvedIniLoadsBackToTheSameValues) {
  TempDir tmp;
  Parsed p;
  ASSERT_TRUE(p.parse({"--sim.n_seqs", "123", "--sim.background", "0.1,0.2,0.3,0.4", "--sim.pseudocount", "0.01"}));
  write_text(tmp.file("resolved.ini"), p.opts.resolved_ini());
  Parsed q;
  ASSERT_TRUE(q.parse({"-c", tmp.file("resolved.ini")}));
  EXPECT_EQ(q.cfg.n_seqs, 123);
  EXPECT_EQ(q.cfg.background, p.cfg.background);
  EXPECT_EQ(q.cfg.pseudocount, 0.01);
  EXPECT_EQ(q.cfg.motifs_file, p.cfg.motifs_file);
  EXPECT_EQ(q.opts.resolved_ini(), p.opts.resolved_ini());
}

// Values that the INI dialect would cut or trim (" #", " ;", newlines,
// leading or trailing blanks, quotes) are written quoted and read back unchanged. Before the
// fix the path below came back as "<dir>/dir" (cut at " #").
TEST(OptionsTest, ResolvedIniQuotesValuesThatNeedIt) {
  TempDir tmp;
  const std::string odd = tmp.file("dir #1 ;x\t#y/ \"q\" 'a'\\b\nnext\r.meme ");
  Parsed p;
  ASSERT_TRUE(p.parse({"--sim.motifs", odd}));
  ASSERT_EQ(p.cfg.motifs_file, odd);
  const std::string ini = p.opts.resolved_ini();
  EXPECT_NE(ini.find(R"(motifs = ")" + tmp.path() + R"(/dir #1 ;x\t#y/ \"q\" 'a'\\b\nnext\r.meme ")" + "\n"),
            std::string::npos)
      << ini;
  write_text(tmp.file("resolved.ini"), ini);
  Parsed q;
  ASSERT_TRUE(q.parse({"-c", tmp.file("resolved.ini")}));
  EXPECT_EQ(q.cfg.motifs_file, odd);
  EXPECT_EQ(q.opts.resolved_ini(), ini);
  // ordinary values stay unquoted
  EXPECT_NE(ini.find("\nn_seqs = 8000\n"), std::string::npos) << ini;
}

TEST(OptionsTest, IniQuotedValues) {
  const auto values = [](const std::string& text) {
    std::vector<std::string> out;
    for (const auto& e : parse_ini(text, "x.ini")) out.push_back(e.value);
    return out;
  };
  EXPECT_EQ(values("[a]\nk = \"v #1\"  # comment\nl = plain ; comment\nm = \"\"\nn = \" x \\\"y\\\" \\\\ \\n\"\n"),
            (std::vector<std::string>{"v #1", "plain", "", " x \"y\" \\ \n"}));
  EXPECT_EQ(values("[a]\nk = say \"hi\"\n"), (std::vector<std::string>{"say \"hi\""}));  // quotes inside: as written
  EXPECT_THROW_MSG(parse_ini("[a]\nk = \"abc\n", "x.ini"), InputError,
                   "x.ini:2: unterminated quoted value; expected a closing '\"', got '\"abc'");
  EXPECT_THROW_MSG(parse_ini("[a]\nk = \"abc\" def\n", "x.ini"), InputError,
                   "x.ini:2: text after a quoted value; expected nothing or a comment, got 'def'");
  EXPECT_THROW_MSG(parse_ini("[a]\nk = \"a\\qb\"\n", "x.ini"), InputError,
                   "x.ini:2: bad escape in quoted value; expected one of \\\\ \\\" \\n \\r \\t, got '\\q'");
}

TEST(OptionsTest, ClosestName) {
  EXPECT_EQ(closest("trian", {"train", "simulate"}), "train");
  EXPECT_EQ(closest("sim", {"simulate", "version"}), "simulate");
  EXPECT_EQ(closest("zzzzzz", {"simulate", "version"}), "");
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3);
}

}  // namespace
}  // namespace lb::cli
