"""The test-data layer: one factory-boy factory per model the tests make, in a module per app.

    from tests.factories import OrderFactory, WorkLogFactory

    order = OrderFactory(tenant=tenant_a, technician=tech, status=OrderStatus.IN_PROGRESS)
    WorkLogFactory(order=order, started_at=start, ended_at=start + timedelta(minutes=30))

Every factory saves a valid row. A tenant-owned row takes `tenant` from the caller or from the object it
hangs off (a line from its order, a finding from its audit), so a test always says whose data it makes.
Where a row is only real when a service writes it, the factory calls that service: an order's number comes
from the tenant's counter, an API key from api.keys.create_key, a checklist version from
quality.checklists.save_checklist, a document's number from documents.services.next_number.
Add a factory here (in its app's module) when a test needs a model none makes yet; write
`Model.objects.create(...)` in a test only when the test is about creating it (a constraint, a migration).
"""

from .api import (
    ApiKeyFactory,
    CenterExportFactory,
    ImportJobFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
)
from .documents import DocumentFactory
from .notifications import MessageTemplateFactory, NotificationFactory, NotificationSettingsFactory
from .orders import (
    ClientFactory,
    EstimateFactory,
    EstimateLineFactory,
    IntakeOrderFactory,
    ItemFactory,
    LineItemFactory,
    OrderEventFactory,
    OrderFactory,
    OrderPhotoFactory,
    PaymentFactory,
    PersonalDataSettingsFactory,
    ServiceTypeFactory,
)
from .quality import (
    AfterSalesSettingsFactory,
    AuditFactory,
    AuditFindingFactory,
    BusinessHoursFactory,
    CalendarDayFactory,
    ChecklistVersionFactory,
    ComplaintFactory,
    DailyRollupFactory,
    FeedbackFactory,
    GoalFactory,
    QualitySettingsFactory,
    SlaClockFactory,
    SlaPauseFactory,
    SlaPolicyFactory,
    StandardFactory,
    WarrantyClaimFactory,
)
from .reception import ReceptionDeskFactory, VisitFactory
from .stock import PartFactory, PartServiceTypeFactory, StockLevelFactory, StockMovementFactory
from .technicians import TechnicianProfileFactory, TechnicianSkillFactory, WorkLogFactory, WorkSlotFactory
from .tenancy import (
    PASSWORD,
    InvitationFactory,
    LocationFactory,
    MembershipFactory,
    TenantFactory,
    UserFactory,
)

__all__ = [
    "PASSWORD",
    "AfterSalesSettingsFactory",
    "ApiKeyFactory",
    "AuditFactory",
    "AuditFindingFactory",
    "BusinessHoursFactory",
    "CalendarDayFactory",
    "CenterExportFactory",
    "ChecklistVersionFactory",
    "ClientFactory",
    "ComplaintFactory",
    "DailyRollupFactory",
    "DocumentFactory",
    "EstimateFactory",
    "EstimateLineFactory",
    "FeedbackFactory",
    "GoalFactory",
    "ImportJobFactory",
    "IntakeOrderFactory",
    "InvitationFactory",
    "ItemFactory",
    "LineItemFactory",
    "LocationFactory",
    "MembershipFactory",
    "MessageTemplateFactory",
    "NotificationFactory",
    "NotificationSettingsFactory",
    "OrderEventFactory",
    "OrderFactory",
    "OrderPhotoFactory",
    "PartFactory",
    "PartServiceTypeFactory",
    "PaymentFactory",
    "PersonalDataSettingsFactory",
    "QualitySettingsFactory",
    "ReceptionDeskFactory",
    "ServiceTypeFactory",
    "SlaClockFactory",
    "SlaPauseFactory",
    "SlaPolicyFactory",
    "StandardFactory",
    "StockLevelFactory",
    "StockMovementFactory",
    "TechnicianProfileFactory",
    "TechnicianSkillFactory",
    "TenantFactory",
    "UserFactory",
    "VisitFactory",
    "WarrantyClaimFactory",
    "WebhookDeliveryFactory",
    "WebhookEndpointFactory",
    "WorkLogFactory",
    "WorkSlotFactory",
]
