"""
Latent structure of simulated networks
======================================

The founding report's simulation study: can a VAE tell kinds of networks
apart from their adjacency matrices alone? Three random-graph families on 20
nodes, 300 graphs each, generated with numpy:

- **small world** (Watts and Strogatz, 1998): a ring where each node links
  to its 2 nearest neighbours on either side, each link rewired to a random
  node with probability 0.1;
- **community structure** (a stochastic block model): 4 groups of 5 nodes,
  linked with probability 0.6 within a group and 0.05 between groups;
- **sparse random** (Erdős and Rényi): every pair linked with probability
  0.15.

Each graph's adjacency matrix, flattened, is one row of 400 zeros and ones;
a Bernoulli VAE is fitted to them without the family labels. Nodes keep
their order (around the ring, group by group), so the families differ in
where their links are more than in how many (about 40, 31 and 28 per graph).
The posterior means' first two principal components, coloured by family,
show whether the latent space separates them; a nearest-centroid classifier
on those two components, scored by cross-validation, puts a number on it.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import NearestCentroid

from skvae import VAETransformer

N_NODES, N_GRAPHS = 20, 300


def symmetric(upper):
    """An adjacency matrix from its strict upper triangle (no self-links)."""
    upper = np.triu(upper, k=1)
    return (upper | upper.T).astype(np.float32)


def small_world(rng, neighbours=2, rewire=0.1):
    links = np.zeros((N_NODES, N_NODES), dtype=bool)
    for node in range(N_NODES):
        for step in range(1, neighbours + 1):
            other = (node + step) % N_NODES
            if rng.random() < rewire:  # rewire to a node that is not itself or already linked
                free = np.flatnonzero(~(links[node] | links[:, node]))
                other = rng.choice(free[free != node])
            links[min(node, other), max(node, other)] = True
    return symmetric(links)


def communities(rng, n_groups=4, inside=0.6, between=0.05):
    group = np.repeat(np.arange(n_groups), N_NODES // n_groups)
    same = group[:, None] == group[None, :]
    return symmetric(rng.random((N_NODES, N_NODES)) < np.where(same, inside, between))


def sparse_random(rng, p=0.15):
    return symmetric(rng.random((N_NODES, N_NODES)) < p)


rng = np.random.default_rng(0)
families = {"small world": small_world, "community structure": communities,
            "sparse random": sparse_random}
graphs = [[make(rng) for _ in range(N_GRAPHS)] for make in families.values()]
X = np.concatenate([np.reshape(g, (N_GRAPHS, -1)) for g in graphs])
family = np.repeat(np.arange(len(families)), N_GRAPHS)
print("links per graph, by family:",
      {name: float(X[family == k].sum(axis=1).mean() / 2) for k, name in enumerate(families)})

vae = VAETransformer(n_latent=5, hidden_layer_sizes=(128,), likelihood="bernoulli",
                     early_stopping=True, max_iter=500, random_state=0).fit(X)
components = PCA(n_components=2).fit_transform(vae.transform(X))
accuracy = cross_val_score(NearestCentroid(), components, family, cv=5).mean()
print(f"nearest-centroid accuracy on the first two components: {accuracy:.3f}")

fig, (examples, latent) = plt.subplots(1, 2, figsize=(10, 4.5),
                                       gridspec_kw={"width_ratios": [1.4, 1]})
tiles = np.full((N_NODES, 3 * N_NODES + 2), np.nan)
for k, g in enumerate(graphs):
    tiles[:, k * (N_NODES + 1):k * (N_NODES + 1) + N_NODES] = g[0]
examples.imshow(tiles, cmap="gray_r", interpolation="nearest")
examples.set_axis_off()
examples.set_title("one adjacency matrix per family:\n" + ", ".join(families))
for k, name in enumerate(families):
    latent.scatter(*components[family == k].T, s=8, label=name)
latent.set_xlabel("PC 1 of the posterior means")
latent.set_ylabel("PC 2")
latent.legend(fontsize=8)
latent.set_title(f"latent space (nearest centroid {accuracy:.2f})")
fig.tight_layout()
plt.show()
