"""The service-integration guide's client code, run against the real server.

Covers: NocturnaServiceClient.health_check (token validity), the synchronous NocturnaClient
(planetary-positions with the guide's exact body, aspects), the asyncio.gather of 50 charts
with aiohttp, OptimizedNocturnaClient's keep-alive session with urllib3 Retry, and
RobustNocturnaClient's 401 handling (expired vs invalid)."""
import asyncio
import logging
import time

import aiohttp
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from http_harness import GUIDE_BIRTH, TEN_PLANETS, Checks, Server, arm_timeout, calc_cli

arm_timeout(240)
t = Checks("http_guide")


# ---- The guide's classes, as written there (module-level imports adapted). ----

class NocturnaServiceClient:
    def __init__(self, api_url, service_token):
        self.api_url = api_url.rstrip('/')
        self.service_token = service_token
        self.headers = {
            "Authorization": f"Bearer {service_token}",
            "Content-Type": "application/json",
            "User-Agent": "YourApp/1.0 (Nocturna-Integration)"
        }

    def health_check(self):
        try:
            response = requests.get(f"{self.api_url}/health", headers=self.headers, timeout=5)
            return response.status_code == 200
        except Exception:
            return False


class NocturnaClient:
    def __init__(self, api_url, service_token):
        self.api_url = api_url
        self.headers = {"Authorization": f"Bearer {service_token}"}
        self.session = requests.Session()
        self.session.headers.update(self.headers)

    def calculate_natal_chart(self, birth_data):
        response = self.session.post(
            f"{self.api_url}/api/v1/calculations/planetary-positions",
            json={
                "date": birth_data["date"],
                "time": birth_data["time"],
                "latitude": birth_data["latitude"],
                "longitude": birth_data["longitude"],
                "timezone": birth_data["timezone"],
                "planets": ["SUN", "MOON", "MERCURY", "VENUS", "MARS",
                            "JUPITER", "SATURN", "URANUS", "NEPTUNE", "PLUTO"],
                "include_retrograde": True,
                "include_speed": True
            },
            timeout=30
        )
        response.raise_for_status()
        return response.json()["data"]

    def calculate_aspects(self, birth_data, orb_multiplier=1.0):
        response = self.session.post(
            f"{self.api_url}/api/v1/calculations/aspects",
            json={
                **birth_data,
                "planets": ["SUN", "MOON", "MERCURY", "VENUS", "MARS"],
                "aspects": ["CONJUNCTION", "OPPOSITION", "TRINE", "SQUARE", "SEXTILE"],
                "orb_multiplier": orb_multiplier
            },
            timeout=30
        )
        response.raise_for_status()
        return response.json()["data"]


class AsyncNocturnaClient:
    def __init__(self, api_url, service_token):
        self.api_url = api_url
        self.headers = {"Authorization": f"Bearer {service_token}"}

    async def calculate_multiple_charts(self, birth_data_list):
        async with aiohttp.ClientSession(headers=self.headers) as session:
            tasks = [self._calculate_chart(session, birth_data) for birth_data in birth_data_list]
            return await asyncio.gather(*tasks, return_exceptions=True)

    async def _calculate_chart(self, session, birth_data):
        async with session.post(f"{self.api_url}/api/v1/calculations/planetary-positions",
                                json=birth_data) as response:
            if response.status == 200:
                data = await response.json()
                return data["data"]
            raise Exception(f"API error: {response.status}")


class NocturnaAPIError(Exception):
    pass


class TokenExpiredError(NocturnaAPIError):
    pass


class RobustNocturnaClient:
    def __init__(self, api_url, service_token, max_retries=3):
        self.api_url = api_url
        self.max_retries = max_retries
        self.headers = {"Authorization": f"Bearer {service_token}"}

    def _make_request(self, method, endpoint, **kwargs):
        url = f"{self.api_url}{endpoint}"
        response = requests.request(method, url, headers=self.headers, timeout=30, **kwargs)
        if response.status_code == 401:
            error_detail = response.json().get('error', {}).get('message', '')
            if 'expired' in error_detail.lower():
                raise TokenExpiredError("Service token has expired.")
            raise NocturnaAPIError(f"Authentication failed: {error_detail}")
        if response.status_code >= 400:
            error_data = response.json().get('error', {})
            raise NocturnaAPIError(f"API error {response.status_code}: {error_data.get('message')}")
        return response.json()


def make_optimized_session(service_token):
    """OptimizedNocturnaClient.__init__ from the guide."""
    session = requests.Session()
    retry_strategy = Retry(total=3, backoff_factor=1, status_forcelist=[429, 500, 502, 503, 504])
    adapter = HTTPAdapter(pool_connections=10, pool_maxsize=20, max_retries=retry_strategy)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"Authorization": f"Bearer {service_token}",
                            "Content-Type": "application/json", "Connection": "keep-alive"})
    return session


class NewConnectionCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):
        if "Starting new HTTP connection" in record.getMessage():
            self.count += 1


# ---- Checks ----

def check_health(srv):
    good = NocturnaServiceClient(srv.base, srv.token())
    t.check(good.health_check(), "health_check with a valid token")
    expired = NocturnaServiceClient(srv.base, srv.token(ttl=-3600))
    t.check(not expired.health_check(), "health_check with an expired token says unhealthy")
    r = requests.get(srv.url("/health"), headers=good.headers, timeout=5)
    tok = r.json()["data"].get("token", {})
    t.check(tok.get("type") == "service" and tok.get("scope") == "calculations",
            f"health reports the token's type and scope: {tok}")
    t.check(tok.get("days_left") in (29, 30), f"days_left of a 30-day token: {tok.get('days_left')}")


def check_sync(srv):
    client = NocturnaClient(srv.base, srv.token())
    data = client.calculate_natal_chart(GUIDE_BIRTH)
    names = [p["planet"] for p in data["positions"]]
    t.check(names == TEN_PLANETS, f"ten bodies in order: {names}")
    ref = calc_cli("calculations/planetary-positions", {
        **GUIDE_BIRTH, "planets": TEN_PLANETS, "include_retrograde": True, "include_speed": True})
    t.check(data == ref["data"], "HTTP data equals `nocturna calc` data")
    sun = data["positions"][0]
    t.check(abs(sun["longitude"] - 295.3965) < 0.001 and sun["sign"] == "CAPRICORN",
            f"Sun at 25 Capricorn on 1990-01-15: {sun['longitude']}")
    t.check(any(p["planet"] == "MERCURY" and p["is_retrograde"] for p in data["positions"]),
            "Mercury retrograde in January 1990")
    asp = client.calculate_aspects(GUIDE_BIRTH)
    kinds = {(a["planet1"], a["planet2"], a["aspect_type"]) for a in asp["aspects"]}
    t.check(("SUN", "MOON", "TRINE") in kinds, f"Sun trine Moon found: {sorted(kinds)}")
    # The older service's path answers the same.
    r = client.session.post(srv.url("/api/calculations/aspects"),
                            json={**GUIDE_BIRTH, "planets": ["SUN", "MOON"]}, timeout=30)
    t.check(r.status_code == 200 and r.json()["success"] is True, "legacy /api/calculations path")


def check_async(srv):
    births = []
    for i in range(50):
        births.append({"date": f"19{50 + i % 50:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                       "time": f"{i % 24:02d}:{(7 * i) % 60:02d}:00",
                       "latitude": -60 + (i * 2.5), "longitude": -170 + i * 7,
                       "timezone": "UTC"})
    client = AsyncNocturnaClient(srv.base, srv.token())
    t0 = time.monotonic()
    results = asyncio.run(client.calculate_multiple_charts(births))
    elapsed = time.monotonic() - t0
    errors = [r for r in results if isinstance(r, Exception)]
    t.check(not errors, f"50 concurrent charts without error ({errors[:3]})")
    t.check(elapsed < 30, f"50 charts in {elapsed:.2f}s")
    for i in (0, 17, 49):
        if isinstance(results[i], dict):
            ref = calc_cli("calculations/planetary-positions", births[i])["data"]
            t.check(results[i] == ref, f"chart {i} equals the CLI answer")


def check_keepalive(srv):
    counter = NewConnectionCounter()
    log = logging.getLogger("urllib3.connectionpool")
    log.setLevel(logging.DEBUG)
    log.addHandler(counter)
    session = make_optimized_session(srv.token())
    ok = 0
    for i in range(20):
        r = session.post(srv.url("/api/v1/calculations/planetary-positions"),
                         json={**GUIDE_BIRTH, "planets": ["SUN", "MOON"]}, timeout=30)
        ok += r.status_code == 200
    log.removeHandler(counter)
    t.check(ok == 20, f"20 requests on the keep-alive session: {ok} ok")
    t.check(counter.count == 1, f"one TCP connection for 20 requests (got {counter.count})")


def check_robust_401(srv):
    try:
        RobustNocturnaClient(srv.base, srv.token(ttl=-60))._make_request(
            "POST", "/api/v1/calculations/planetary-positions", json=GUIDE_BIRTH)
        t.check(False, "expired token must raise")
    except TokenExpiredError:
        t.check(True, "expired token -> TokenExpiredError")
    try:
        RobustNocturnaClient(srv.base, srv.token()[:-2] + "xx")._make_request(
            "POST", "/api/v1/calculations/planetary-positions", json=GUIDE_BIRTH)
        t.check(False, "invalid token must raise")
    except TokenExpiredError:
        t.check(False, "an invalid signature must not look expired")
    except NocturnaAPIError as e:
        t.check("Authentication failed" in str(e), f"invalid token -> auth failure: {e}")
    got = RobustNocturnaClient(srv.base, srv.token())._make_request(
        "POST", "/api/v1/calculations/planetary-positions", json=GUIDE_BIRTH)
    t.check(got["success"] is True and got["meta"]["request_id"], "robust client success")


with Server() as srv:
    check_health(srv)
    check_sync(srv)
    check_async(srv)
    check_keepalive(srv)
    check_robust_401(srv)
    t.check(srv.stop() == 0, "server exits 0 on SIGTERM")
t.finish()
