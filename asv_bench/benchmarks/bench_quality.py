"""Quality that speed work must not lose: held-out ELBO on the digits."""

from sklearn.model_selection import train_test_split

from skvae import VAETransformer

from .common import digits, quiet


class HeldOutElbo:
    unit = "nats"
    timeout = 300

    def setup(self):
        quiet()
        X, _ = digits()
        self.train, self.test = train_test_split(X, test_size=0.25, random_state=0)

    def track_digits_bernoulli_test_elbo(self):
        vae = VAETransformer(n_latent=5, likelihood="bernoulli", max_iter=100, random_state=0)
        return vae.fit(self.train).score(self.test)

    def track_digits_gaussian_test_elbo(self):
        vae = VAETransformer(n_latent=5, max_iter=100, random_state=0)
        return vae.fit(self.train).score(self.test)
