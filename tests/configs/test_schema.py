"""The config schema lives once, in the package (lbrl.config): configs load from an installed lbrl
without the repository on sys.path, the validator reads its required fields from there, and the shared
settings are lbrl.config's, never another paper's config."""
import glob
import os
import subprocess
import sys

from lbrl import config as common
from lbrl.train import validate

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(os.path.join(REPO, "configs", "*.py"))
                 if not os.path.basename(p).startswith(("_", "common")))


def test_validator_reads_the_one_schema():
  assert validate.REQUIRED is common.REQUIRED
  c, _ = common.base("variant=smoke")
  assert set(common.REQUIRED) <= set(c.keys())


def test_configs_import_only_the_package():
  for path in CONFIGS:
    text = open(path).read()
    assert "from configs" not in text and "import configs" not in text, \
        f"{os.path.basename(path)} imports from the configs directory: shared settings live in lbrl.config"


def test_configs_load_without_the_repository_on_sys_path(tmp_path):
  """Every config's three variants load in a fresh interpreter started outside the repository whose
  sys.path holds no repository directory (what an installed lbrl sees)."""
  code = f"""
import importlib.util, sys
sys.path[:] = [p for p in sys.path if p not in ("", {REPO!r}) and not p.startswith({REPO + "/configs"!r})]
for path in {CONFIGS!r}:
  spec = importlib.util.spec_from_file_location("cfg", path)
  mod = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(mod)
  for variant in ("smoke", "cpu", "paper"):
    mod.get_config("variant=" + variant)
assert "configs" not in sys.modules, "a config imported the configs directory"
print("ok", len({CONFIGS!r}))
"""
  env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
  out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=300)
  assert out.returncode == 0, out.stderr[-3000:]
  assert out.stdout.strip() == f"ok {len(CONFIGS)}"
