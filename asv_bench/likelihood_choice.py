"""Which likelihood for grey-level images: features and anomaly scores on the digits.

For each likelihood that accepts data in [0, 1], on scikit-learn's digits
scaled to [0, 1]:

- features: 5-fold cross-validated accuracy of
  ``Pipeline([VAETransformer(n_latent=5), LogisticRegression])``;
- anomaly scores: ROC AUC of ``VAEOutlierDetector`` (``n_latent=5``,
  ``max_iter=100``) trained on 80% of the digits 0-8, scoring the held-out
  0-8 against the nines, as ``examples/plot_anomaly_detection.py`` does.

    python asv_bench/likelihood_choice.py

Prints a markdown table; the user guide's "Choosing a likelihood" quotes it.
"""

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import Pipeline

from skvae import VAEOutlierDetector, VAETransformer

LIKELIHOODS = ["auto", "gaussian", "bernoulli", "continuous_bernoulli"]


def feature_accuracy(X, y, likelihood):
    pipe = Pipeline([("vae", VAETransformer(n_latent=5, likelihood=likelihood, random_state=0)),
                     ("clf", LogisticRegression(max_iter=1000))])
    scores = cross_val_score(pipe, X, y, cv=5)
    return scores.mean(), scores.std()


def anomaly_auc(X, y, likelihood):
    train, test = train_test_split(X[y != 9], test_size=0.2, random_state=0)
    vae = VAETransformer(n_latent=5, likelihood=likelihood, max_iter=100, random_state=0)
    detector = VAEOutlierDetector(vae).fit(train)
    scores = np.r_[detector.score_samples(test), detector.score_samples(X[y == 9])]
    labels = np.r_[np.zeros(len(test)), np.ones((y == 9).sum())]
    return roc_auc_score(labels, -scores)


def main():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    warnings.simplefilter("ignore", ConvergenceWarning)  # fixed budgets, as in the examples
    print("| likelihood | feature accuracy (mean +- sd) | anomaly ROC AUC |")
    print("|---|---|---|")
    for likelihood in LIKELIHOODS:
        mean, sd = feature_accuracy(X, y, likelihood)
        print(f"| {likelihood} | {mean:.3f} +- {sd:.3f} | {anomaly_auc(X, y, likelihood):.3f} |",
              flush=True)


if __name__ == "__main__":
    main()
