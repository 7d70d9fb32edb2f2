"""The benchmark scenario of benches/profiles/scenario.toml as a Locust
FastHttpUser, for the side-by-side in benches/profile_vs_http.py: register,
log in (token from the JSON body), then balance 10 / tokens 3 / health 1
with the same checks, no wait time."""

import uuid

from locust import FastHttpUser, constant, task


class Bench(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        email = f"bench-{uuid.uuid4()}@example.com"
        with self.client.post("/api/auth/register", json={"email": email, "password": "pw"},
                              name="register", catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"status {r.status_code}")
        with self.client.post("/api/auth/login", json={"email": email, "password": "pw"},
                              name="login", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
            self.auth = {"Authorization": f"Bearer {r.json()['access_token']}"}

    @task(10)
    def balance(self):
        with self.client.get("/api/balance", headers=self.auth, name="balance", catch_response=True) as r:
            if r.status_code != 200 or r.json()["balance"] < 0:
                r.failure("check")

    @task(3)
    def tokens(self):
        with self.client.get("/api/tokens", headers=self.auth, name="tokens", catch_response=True) as r:
            if r.status_code != 200:
                r.failure("check")

    @task(1)
    def health(self):
        with self.client.get("/api/v1/health", name="health", catch_response=True) as r:
            if r.json().get("status") != "ok":
                r.failure("check")
