from . import test_outbox_events
from . import test_relay
from . import test_intake
from . import test_partner_registry
from . import test_security
from . import test_sync_status
from . import test_concurrency
from . import test_event_targets
