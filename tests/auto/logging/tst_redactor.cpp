#include <QtTest/QtTest>

class tst_Redactor : public QObject
{
    Q_OBJECT
};

QTEST_APPLESS_MAIN(tst_Redactor)

#include "tst_redactor.moc"
