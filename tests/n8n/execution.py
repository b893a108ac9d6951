"""Summarises one execution as n8n's REST API returns it (GET /rest/executions/{id}): its
status, the nodes that ran, the last one and the error, as one JSON object.

  curl -b cookies $N8N/rest/executions/7 | execution.py
The run data comes in n8n's "flatted" encoding (a JSON array whose first element is the root;
strings inside objects and arrays are indices into the array), decoded here.
"""
import json
import sys


def unflatten(text):
    table = json.loads(text)
    seen = {}

    def at(index):
        if index in seen:
            return seen[index]
        value = table[index]
        if isinstance(value, dict):
            out = {}
            seen[index] = out
            for key, item in value.items():
                out[key] = at(int(item)) if isinstance(item, str) else item
        elif isinstance(value, list):
            out = []
            seen[index] = out
            out.extend(at(int(item)) if isinstance(item, str) else item for item in value)
        else:
            out = value
            seen[index] = out
        return out

    return at(0)


def main():
    execution = json.load(sys.stdin)["data"]
    result = unflatten(execution["data"]).get("resultData", {})
    error = result.get("error") or {}
    print(json.dumps({
        "id": execution["id"],
        "status": execution["status"],
        "workflow": execution["workflowId"],
        "nodes_run": list(result.get("runData", {})),
        "last_node": result.get("lastNodeExecuted"),
        "error_node": (error.get("node") or {}).get("name"),
        "error": error.get("message"),
    }))


if __name__ == "__main__":
    main()
