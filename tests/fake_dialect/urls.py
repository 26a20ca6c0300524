from django.urls import path

from tests.fake_dialect.views import FakeContactsView

urlpatterns = [path("contacts", FakeContactsView.as_view())]
