"""Two requests racing to create the same phone end as one row and one Conflict, never a 500."""

import threading

import pytest
from django.db import connection

from contacts.errors import Conflict
from contacts.models import Contact
from contacts.services.contacts import create_contact
from tests.factories import OrganizationFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_creating_the_same_phone_end_with_one_row_and_one_conflict():
    organization = OrganizationFactory(slug="race")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def create(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            create_contact(organization=organization, name=name, phone="+12125550123")
            result = "created"
        except Conflict as conflict:
            result = f"conflict:{conflict.field}"
        except Exception as exc:  # anything else is a bug the assertion below reports
            result = f"error:{exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=create, args=(f"racer {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["conflict:phone", "created"]
    assert Contact.objects.filter(organization=organization, phone="+12125550123").count() == 1
