"""The inspection task: lifecycle commands, planning and changes, composed in SchedulingService."""
