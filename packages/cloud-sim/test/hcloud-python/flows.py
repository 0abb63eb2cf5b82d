# The official Python client (Debian's python3-hcloud) run against the simulator: each
# flow prints what the client saw as one JSON object for hcloud-python.test.ts to check.
# Usage: HCLOUD_ENDPOINT=… HCLOUD_TOKEN=… python3 flows.py FLOW NAME
import json
import os
import sys
import time

from hcloud import APIException, Client
from hcloud.actions.client import ActionFailedException
from hcloud.images.domain import Image
from hcloud.locations.domain import Location
from hcloud.server_types.domain import ServerType

client = Client(token=os.environ["HCLOUD_TOKEN"], api_endpoint=os.environ["HCLOUD_ENDPOINT"], poll_interval=0.02)


def create(name, labels, location="nbg1"):
    answer = client.servers.create(
        name=name,
        server_type=ServerType(name="cx22"),
        image=Image(name="ubuntu-24.04"),
        location=Location(name=location),
        labels=labels,
    )
    answer.action.wait_until_finished()
    for action in answer.next_actions:
        action.wait_until_finished()
    return client.servers.get_by_id(answer.server.id)


def status_until(server_id, wanted, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        status = client.servers.get_by_id(server_id).status
        if status == wanted:
            return status
        time.sleep(0.02)
    return client.servers.get_by_id(server_id).status


def flow_create(name):
    server = create(name, {"managed-by": "agent-lifecycle", "agent-id": "py1"})
    return {"id": server.id, "name": server.name, "status": server.status, "labels": server.labels, "ipv4": server.public_net.ipv4.ip}


def flow_select(name):
    create(name + "-a", {"env": "prod", "team": "web"})
    create(name + "-b", {"env": "dev"})
    create(name + "-c", {"env": "ci"})
    names = lambda selector: sorted(server.name for server in client.servers.get_all(label_selector=selector))
    return {selector: names(selector) for selector in ["env=prod", "env!=prod", "env in (prod,dev),!team"]}


def flow_power(name):
    server = create(name, {})
    seen = {}
    server.power_off().wait_until_finished()
    seen["after_poweroff"] = client.servers.get_by_id(server.id).status
    server.power_on().wait_until_finished()
    seen["after_poweron"] = client.servers.get_by_id(server.id).status
    server.shutdown().wait_until_finished()
    seen["after_shutdown"] = status_until(server.id, "off")
    return seen


def flow_delete(name):
    server = create(name, {})
    action = server.delete()
    try:
        client.servers.get_by_id(server.id)
        found = "still there"
    except APIException as error:
        found = error.code
    action.wait_until_finished()
    return {"command": action.command, "after_delete": found, "by_name": client.servers.get_by_name(name)}


def flow_failed_action(name):
    server = create(name, {})
    try:
        server.power_off().wait_until_finished()
        return {"raised": None}
    except ActionFailedException as error:
        failed = error.action
        return {"raised": type(error).__name__, "command": failed.command, "status": failed.status, "code": failed.error["code"], "message": failed.error["message"], "server": client.servers.get_by_id(server.id).status}


FLOWS = {"create": flow_create, "select": flow_select, "power": flow_power, "delete": flow_delete, "failed-action": flow_failed_action}

if __name__ == "__main__":
    print(json.dumps(FLOWS[sys.argv[1]](sys.argv[2])))
