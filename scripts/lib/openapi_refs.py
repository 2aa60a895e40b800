"""Following `$ref`s inside docs/openapi.yaml, for the scripts that read the document."""


def resolve(document, node):
    """The node a chain of local `$ref`s (`#/components/...`) ends at; `node` itself otherwise."""
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node
