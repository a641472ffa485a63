"""Demo stories written for Newsroom Review. Places and people are invented.

Each story carries the problems a desk editor meets daily: loaded labels in the paper's own
voice, quotes with no named source, figures that disagree with each other.
"""

STORIES = [
    {
        "title": "Council approves Harbour Road bus lane after heated session",
        "byline": "Wanda Okafor",
        "desk": "City desk",
        "status": "in_review",
        "text": """Eastmere city council voted 7-4 on Tuesday night to build a dedicated bus lane along Harbour Road, ending a two-year dispute over the city's busiest commuter route.

The plan will cost $4.2 million and take about 18 months to complete, according to the council's transport committee. Work is due to start in the spring.

Shop owners on the road slammed the decision, saying the loss of 60 parking spaces would drive customers away. "We were never properly asked," said Priya Nandakumar, who runs a bakery near the ferry terminal.

Critics say the so-called consultation was a box-ticking exercise. "Everyone knows the council had made up its mind before the first meeting," one resident said.

Councillor Tom Birch, who chairs the transport committee, said buses on the route currently run up to 20 minutes late at peak times. He said the $2.4 million project would cut journey times for about 11,000 daily passengers.

The council will publish a detailed timetable for the works next month.""",
        "annotations": [
            {
                "user": "editor",
                "quote": "$2.4 million",
                "category": "fact_check",
                "body": "The second paragraph says $4.2 million. Which figure is right?",
                "replies": [
                    ("writer", "Checked the committee papers: it is $4.2 million. Will fix.")
                ],
            },
            {
                "user": "editor",
                "quote": "slammed",
                "category": "loaded_language",
                "body": "Headline verb in our own voice. 'criticised' is enough.",
            },
            {
                "user": "editor",
                "quote": '"Everyone knows the council had made up its mind before the first meeting," one resident said.',
                "category": "needs_source",
                "body": "Unnamed resident making a serious claim. Name them or cut it.",
            },
            {
                "user": "editor",
                "quote": "so-called consultation",
                "category": "loaded_language",
                "body": "'so-called' signals our own scepticism. Attribute it or drop it.",
                "resolved_by": "writer",
            },
        ],
    },
    {
        "title": "Marren River flooding forces hundreds from their homes",
        "byline": "Jonah Feld",
        "desk": "Regional",
        "status": "changes_requested",
        "text": """About 340 families left their homes in the Lower Marren valley on Sunday after three days of heavy rain pushed the river over its banks in at least five places.

Emergency shelters opened in the schools at Cold Ashby and Fenwick. Officials admitted the flood defences built in 2016 had not been designed for rainfall on this scale.

"The water came up through the floor in less than an hour," said Malcolm Reyes, 64, who was taken to the Fenwick shelter by boat. "We lost everything downstairs."

The catastrophic floods are the worst the valley has seen in living memory, and it is widely believed that the regional authority ignored repeated warnings.

By Monday evening the county's emergency office said 430 families were in temporary accommodation. The Environment Agency expects river levels to fall slowly over the next two days.""",
        "annotations": [
            {
                "user": "editor",
                "quote": "430 families",
                "category": "fact_check",
                "body": "First paragraph says about 340 families. Is this a later, higher count? Make the time difference explicit.",
                "replies": [
                    ("writer", "Yes, Monday's figure is higher. I'll say so."),
                    ("editor", "Thanks. Please cite the emergency office for both numbers."),
                ],
            },
            {
                "user": "editor",
                "quote": "it is widely believed that the regional authority ignored repeated warnings",
                "category": "needs_source",
                "body": "Who believes it? We need a named source or a document for this.",
            },
            {
                "user": "editor",
                "quote": "Officials admitted",
                "category": "loaded_language",
                "body": "'admitted' implies wrongdoing. 'said' unless they conceded a fault.",
            },
            {
                "user": "admin",
                "quote": "catastrophic floods",
                "category": "style",
                "body": "Let the facts carry the weight; drop 'catastrophic'.",
            },
        ],
    },
    {
        "title": "Protesters and police clash outside Ministry of Labour",
        "byline": "Sam Whitlow",
        "desk": "National",
        "status": "draft",
        "text": """Several hundred people gathered outside the Ministry of Labour in Arlen on Friday to protest against proposed changes to overtime rules.

Police said 12 people were arrested after a group of thugs threw bottles at officers near the main entrance. Organisers said the march had been peaceful until police moved in.

Some people say the changes will cut take-home pay for nurses and drivers by up to a fifth. The ministry says most workers will not be affected.

Labour Minister Ines Carvalho said she would meet union leaders next week. "The door is open," she said.

The protest ended shortly after 6pm. Two officers were treated for minor injuries, police said; organisers said at least five protesters were hurt.""",
        "annotations": [],
    },
    {
        "title": "Hospital trust reports shorter waiting times for scans",
        "byline": "Wanda Okafor",
        "desk": "Health",
        "status": "approved",
        "text": """Patients at Northgate hospitals waited an average of 19 days for an MRI scan in October, down from 31 days a year earlier, according to figures published by the Northgate Health Trust on Thursday.

The trust said the improvement followed the opening of a second scanner at St Brennan's and evening appointments at the Riverside site.

Chief executive Helen Osei called the trust's radiology team world-class. "Our staff have worked incredibly hard," she said.

The national target is 14 days. Patient groups welcomed the fall but said waits for ultrasound scans had not improved.""",
        "annotations": [
            {
                "user": "editor",
                "quote": "Chief executive Helen Osei called the trust's radiology team world-class.",
                "category": "style",
                "body": "Fine as attribution, but make sure the headline doesn't echo 'world-class'.",
                "resolved_by": "editor",
            },
        ],
    },
]
