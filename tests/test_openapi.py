def test_openapi_lists_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    routes = {(rule.rule.removeprefix("/api/v1"), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    listed = {(path.replace("{", "<").replace("}", ">"), method)
              for path, ops in document["paths"].items() for method in ops}
    normalized = {(_strip_converters(path), method) for path, method in routes}
    assert normalized == listed
    assert ("/mailboxes", "get") in listed


def _strip_converters(path):
    import re

    return re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", path)
