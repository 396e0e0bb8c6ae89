"""What the notification centre says for 整改 reminders and escalations (see app.notifications)."""

from app.i18n import N_
from app.notifications.services import EVENT_TEXT

EVENT_TEXT.update({
    "rect_ack_reminder": N_("请及时签收整改通知书：%(title)s"),
    "rect_deadline_reminder": N_("整改期限临近，请按期提交整改报告：%(title)s"),
    "rect_overdue": N_("整改逾期，请督办：%(title)s"),
    "rect_unresolved": N_("整改轮次已满仍未完成，请督导处理：%(title)s"),
})
