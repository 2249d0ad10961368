/*-------------------------------------------------------------------------
 *
 * intake.h
 *		woes.receive_message: a channel's message into its conversation.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_INTAKE_H
#define WOES_INTAKE_H

extern void woes_intake_forget(Oid relid);

#endif							/* WOES_INTAKE_H */
