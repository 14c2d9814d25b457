"""SimpleX (Mao et al., "SimpleX: A Simple and Strong Baseline for Collaborative Filtering", CIKM 2021,
arXiv:2109.12613): the loss function and the negative sampling matter as much as the interaction encoder; the
cosine contrastive loss (CCL: ``(1 - cos(u, i+)) + w / K sum_{j <= K} max(0, cos(u, j) - m)`` over ``K``
sampled negatives, margin ``m``, negative weight ``w``) with many negatives lifts even plain matrix
factorisation above BPR and the sampled softmax.

Claim: with the same MF backbone, CCL gives higher Recall@20 / NDCG@20 than BPR and the sampled softmax.
cpu:   lbrl's synthetic implicit-feedback set at MovieLens-100k scale (lbrl.data.builders.implicit_feedback:
       943 users, 1,682 items, ~80k training interactions from rank-8 user/item factors with a Zipf popularity
       skew; 20% of each user's items held out for test); MF with 64-dim embeddings and cosine scores
       (lbrl.models.ranking.CFScorer, N(0, 1) initial embeddings), batch 512 and Adam as the authors' SimpleX
       runs (reczoo SimpleX README: batch 512, 1,000 negatives, margin 0.9, negative weight 150, cosine scores,
       embedding regulariser 1e-8, up to 100 epochs), no weight decay; 1,200 steps (~7.7 epochs) and 256
       uniform negatives per row, drawn once per step and shared by the batch's rows (cf_scorer
       shared_negatives): lbrl's CPU-sized choices. 5 seeds. Arms:
       * ccl: ``(1 - cos(u, i+)) + w mean_j max(0, cos(u, j) - m)``, the authors' weight ``w = 150``, margin
         ``m`` tuned over {0.3, 0.6, 0.9} (0.9 the authors');
       * softmax: the sampled softmax (rax.softmax_loss over the positive and the same negatives, cosine / t),
         ``t`` tuned over {0.05, 0.1, 0.2} (IR-Benchmark's final grid for its softmax loss);
       * bpr: ``softplus(f_uj - f_ui)`` on dot-product scores with one negative per row and Xavier-normal
         embeddings (the usual MF-BPR; IR-Benchmark's BPROptimizer);
       each at its own Adam learning rate from {1e-2, 1e-1, 1} (BPR {1e-4, 1e-3, 1e-2, 1e-1}), chosen by validation
       Recall@20 (train[:90%] / train[90%:] of the training interactions; sweep.tune). Test Recall@20 and
       NDCG@20 over all items with the training items masked (lbrl.evaluation.ranking.topk_recommendation).
       Rules fixed before any run (unchanged since the first): CCL > BPR and CCL > softmax on Recall@20
       (margin 0), CCL > BPR on NDCG@20 (margin 0).
result (2026-12-02): a first run at the authors' w = 150 (lr x margin tuned) put CCL far below both baselines
       (test Recall@20 CCL 0.103, BPR 0.218, softmax 0.273; every CCL setting 0.04-0.097 on validation), so w
       was tuned too (two passes, grids extended where the pick sat at an end; rules unchanged). Chosen: CCL
       lr 1e-1, margin 0.3, w = 1.5 (validation 0.204; w 0.15 -> 0.03, 15 -> 0.165, 150 -> 0.089: w is interior,
       the margin is flat, 0.3-0.6 within 0.007), softmax lr 1e-1, t 0.2 (the grid's end: a wider grid could
       only raise softmax), BPR lr 1e-3. Test Recall@20 CCL 0.2217, BPR 0.2177, softmax 0.2731: CCL - BPR
       +0.0040 [+0.0022, +0.0059] (holds), CCL - softmax -0.0514 [-0.0543, -0.0485] (contradicted); NDCG@20
       CCL - BPR -0.0270 [-0.0299, -0.0241] (contradicted): partly reproduced. The authors' w = 150 is far from
       the best weight here (256 shared negatives, a 1,682-item catalogue, 8 epochs).
earlier (2026-12-02, uncommitted runs): batch 256, 800 steps (2.6 epochs), 32 per-row negatives, flax's
       N(0, 1/64) initial embeddings, BPR and softmax as rax losses over the 32 negatives on cosine x 10, CCL's
       margin over {0, 0.4, 0.8}: CCL 3x below BPR at every setting (test Recall@20 0.069 vs 0.208 / 0.212)
       with its margin and the softmax's rate at grid edges; the protocol above replaces it (the authors'
       batch, negatives shared to afford 256, longer training, the authors' margin inside the grid).
paper: MF-CCL / SimpleX on Amazon-Books, Yelp2018, Gowalla (SimpleX Recall@20 0.0583 on Amazon-Books, 0.0701
       on Yelp2018, 0.1872 on Gowalla) against MF-BPR and sampled-softmax baselines. Those sets are not
       offline; the paper variant is the cpu protocol with the paper's 1,000 per-row negatives and 100 epochs
       (CPU-sized stand-in data).
"""
from lbrl import config as common
from lbrl.data import implicit_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  # ~80k training interactions / 512 = 156 steps an epoch: cpu ~7.7 epochs, paper 100 (the authors' maximum)
  implicit_protocol.implicit_mf(c, variant, loss=dict(name="simplex_ccl", margin=0.9, negative_weight=150.0),
                                negatives=dict(cpu=256, paper=1000), batch=512, steps=dict(cpu=1200, paper=15600))
  c.paper.update(
      title="SimpleX: A Simple and Strong Baseline for Collaborative Filtering", year=2021, arxiv="2109.12613",
      slug="simplex", provides="function", code="lbrl.losses.ranking.simplex_ccl",
      claim="the cosine contrastive loss with many negatives beats BPR and the sampled softmax on the same MF "
            "backbone",
      expected="SimpleX Recall@20 0.0583 (Amazon-Books), 0.0701 (Yelp2018), 0.1872 (Gowalla); MF-CCL above "
               "MF-BPR and the sampled softmax",
      setting="implicit-feedback collaborative filtering (Amazon-Books, Yelp2018, Gowalla), embedding size 64, "
              "1,000 negatives, batch 512",
      hardware="one GPU (paper)")
  common.cpu_sized(c, "the paper's recommendation sets are not offline; a synthetic MovieLens-100k-sized set "
                      "with the paper's 1,000 per-row negatives and 100 epochs is the run")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "analysis/recall@20"
  c.sweep.arms = {
      "ccl": {},
      "bpr": implicit_protocol.bpr_arm(variant),
      "softmax": {"loss": {"name": "rax_softmax"}, "model": {"scale": 10.0}},
  }
  # Each arm at its own rate (and CCL's margin, the softmax's temperature) on a validation slice of the
  # training interactions (fixed before any run of this protocol).
  # (psl's first tuning pass on this protocol put its cosine arms' rates at 1e-1 and left 1e-3 untrained: the
  # cosine arms' grid is {1e-2, 1e-1, 1}, BPR's as IR-Benchmark's)
  lrs = [1e-2, 1e-1, 1.0]
  # A first run at the authors' w = 150 (lr {1e-2, 1e-1, 1} x margin {0.3, 0.6, 0.9}: every CCL setting far
  # below BPR) left the negative weight untuned: CCL's grid then spans w over decades around 150 at the two best
  # rates of that pass; a second pass chose w = 1.5 and margin 0.6, both grid ends, so w reaches 0.15 and the
  # margin 0.3 (rules unchanged).
  c.sweep.tune = dict(grids={"ccl": [("optimizer.learning_rate", [1e-1, 1.0]), ("loss.margin", [0.3, 0.6, 0.9]),
                                     ("loss.negative_weight", [0.15, 1.5, 15.0, 150.0, 1500.0])],
                             "softmax": [("optimizer.learning_rate", lrs), ("model.scale", [5.0, 10.0, 20.0])],
                             "bpr": [("optimizer.learning_rate", [1e-4, 1e-3, 1e-2, 1e-1])]},
                      split="train[90%:]", train_split="train[:90%]", metric="analysis/recall@20", mode="max",
                      seeds=[1000])
  c.sweep.rules = [
      {"arm": "ccl", "op": ">", "than": "bpr", "margin": 0.0},
      {"arm": "ccl", "op": ">", "than": "softmax", "margin": 0.0},
      {"arm": "ccl", "op": ">", "than": "bpr", "metric": "analysis/ndcg@20", "margin": 0.0},
  ]
  c.sweep.partly_testable = ("a synthetic low-rank user-item set stands in for Amazon-Books/Yelp2018/Gowalla; "
                             "only the MF backbone (no SimpleX behaviour aggregation); 256 shared negatives at cpu")
  return common.finalize(c)
