/*-------------------------------------------------------------------------
 *
 * handoff.h
 *		Who answers a conversation.  The handoff hook of the conversation
 *		trigger is declared in conversations.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_HANDOFF_H
#define WOES_HANDOFF_H

/* the control table: may control move from one value to another? */
extern bool woes_control_can_change(int from, int to);
/* WO301 unless an agent may still answer in public under this control */
extern void woes_handoff_check_agent_message(int control);

#endif							/* WOES_HANDOFF_H */
