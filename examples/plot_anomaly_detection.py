"""
Anomaly detection with VAEOutlierDetector
=========================================

``VAEOutlierDetector`` scores each row by a VAE's ELBO, a lower bound on
log p(x), behind scikit-learn's outlier-detector API: rows the model finds
unusual get low scores, and ``predict`` marks them -1. Here it is trained on
the digits 0-8 only, with ``contamination=0.05``; held-out digits 0-8 should
score high, and the unseen digit 9 and images of pure noise low. The area
under the ROC curve measures how well the score separates them. The default
likelihood, ``"auto"``, gives each pixel a Gaussian in standardized units;
it separated the nines better than the others (see "Choosing a likelihood"
in the user guide).

``contamination`` sets the threshold at that share of the *training* rows.
A model fits its training rows better than new ones, so it flags more than
5% of new inliers. ``early_stopping`` keeps that gap small: it stops when
the ELBO of a held-out tenth of the training rows stops improving, and here
15% of the new inliers are flagged, against about 40% after 200 epochs
without it (which separates the nines only a little better, 0.91 against
0.89). When the false-alarm rate on new rows matters, set the threshold from
held-out inliers instead, for example
``np.percentile(detector.score_samples(held_out), 5)``.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skvae import VAEOutlierDetector, VAETransformer
from skvae.plotting import tile_images

X, y = load_digits(return_X_y=True)
X = X / 16
normal, nines = X[y != 9], X[y == 9]
train, test = train_test_split(normal, test_size=0.2, random_state=0)
noise = np.random.default_rng(0).random((50, 64))

vae = VAETransformer(n_latent=5, early_stopping=True, max_iter=500, random_state=0)
detector = VAEOutlierDetector(vae, contamination=0.05).fit(train)
groups = [("held-out 0-8", test), ("nines", nines), ("noise", noise)]
scores = {name: detector.score_samples(rows) for name, rows in groups}
for name, rows in groups:
    flagged = np.mean(detector.predict(rows) == -1)
    print(f"{name:>13}: median ELBO {np.median(scores[name]):8.1f} nats, "
          f"{flagged:.0%} flagged as outliers")
for name in ("nines", "noise"):
    labels = np.r_[np.zeros(len(test)), np.ones(len(scores[name]))]
    auc = roc_auc_score(labels, -np.r_[scores["held-out 0-8"], scores[name]])
    print(f"ROC AUC, held-out 0-8 against {name}: {auc:.3f}")

fig, (hist, worst) = plt.subplots(1, 2, figsize=(11, 4))
for name, s in scores.items():
    hist.hist(s, bins=30, alpha=0.6, label=name)
hist.set_xlabel("ELBO (nats)")
hist.legend()
lowest = test[np.argsort(scores["held-out 0-8"])[:10]]
worst.imshow(tile_images(lowest, (8, 8), 10), cmap="gray")
worst.set_title("held-out digits with the lowest scores")
worst.set_axis_off()
plt.show()
