"""Scheduled jobs and queue workers (Chalice blueprints)."""


def sqs_partial_batch(event: dict, context, record_handler) -> dict:
    """Handle each SQS record on its own and report only the failed ones
    (`batchItemFailures`), so SQS redelivers those and not the whole batch."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    return process_partial_response(event=event, record_handler=record_handler,
                                    processor=BatchProcessor(event_type=EventType.SQS), context=context)
