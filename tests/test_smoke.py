def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_home_page_is_chinese_first(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.get_data(as_text=True)


def test_passwords_use_scrypt_outside_tests(tmp_path, monkeypatch):
    from interaction.config import load

    monkeypatch.delenv("INTERACTION_PASSWORD_HASH_METHOD", raising=False)
    assert load(tmp_path)["PASSWORD_HASH_METHOD"] == "scrypt"
