def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "realtime": "fast"}}


def test_home_page_is_chinese_first(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.get_data(as_text=True)


def test_passwords_use_scrypt_outside_tests(tmp_path, monkeypatch):
    from interaction.config import load

    monkeypatch.delenv("INTERACTION_PASSWORD_HASH_METHOD", raising=False)
    assert load(tmp_path)["PASSWORD_HASH_METHOD"] == "scrypt"


def test_the_wsgi_entry_point_freezes_what_the_app_built_out_of_the_garbage_collector(tmp_path):
    """wsgi.py: the objects that live as long as the process are never scanned by the collector again,
    and the youngest generation is collected less often."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'wsgi.db'}")
    env.pop("REDIS_URL", None)
    script = "import gc, wsgi; print(gc.get_freeze_count(), wsgi.app.name, gc.get_threshold()[0])"
    out = subprocess.run([sys.executable, "-c", script],
                         cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    frozen, name, youngest = out.stdout.split()
    assert name == "interaction" and int(frozen) > 20_000 and int(youngest) == 10_000
