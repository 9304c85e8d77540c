"""The WebSocket exchange's inbox keeps asyncio.Queue's promises where an app can
see them: order, a `receive` awaited by several tasks at once (uvicorn's queue
allows it), and a message never lost to a task cancelled as it was woken."""

from __future__ import annotations

import asyncio

from twisted_host.bridges.inbox import Inbox


def test_messages_come_out_in_order() -> None:
    async def run() -> list[int]:
        inbox: Inbox[int] = Inbox(asyncio.get_running_loop())
        for n in range(5):
            inbox.put(n)
        assert len(inbox) == 5
        return [await inbox.get() for _ in range(5)]

    assert asyncio.run(run()) == [0, 1, 2, 3, 4]


def test_several_waiting_tasks_get_one_message_each() -> None:
    async def run() -> list[int]:
        inbox: Inbox[int] = Inbox(asyncio.get_running_loop())
        tasks = [asyncio.create_task(inbox.get()) for _ in range(3)]
        await asyncio.sleep(0)  # all three wait
        for n in range(3):
            inbox.put(n)
        got = await asyncio.wait_for(asyncio.gather(*tasks), 5)
        assert not inbox
        return got

    assert sorted(asyncio.run(run())) == [0, 1, 2]


def test_a_task_cancelled_as_it_is_woken_leaves_its_message_to_the_next() -> None:
    async def run() -> int:
        inbox: Inbox[int] = Inbox(asyncio.get_running_loop())
        first = asyncio.create_task(inbox.get())
        second = asyncio.create_task(inbox.get())
        await asyncio.sleep(0)
        inbox.put(7)  # wakes the first...
        first.cancel()  # ...which is cancelled before it runs
        got = await asyncio.wait_for(second, 5)
        assert first.cancelled()
        return got

    assert asyncio.run(run()) == 7


def test_a_cancelled_wait_leaves_nothing_behind() -> None:
    async def run() -> int:
        inbox: Inbox[int] = Inbox(asyncio.get_running_loop())
        waiting = asyncio.create_task(inbox.get())
        await asyncio.sleep(0)
        waiting.cancel()
        await asyncio.sleep(0)
        inbox.put(1)
        return await asyncio.wait_for(inbox.get(), 5)

    assert asyncio.run(run()) == 1
